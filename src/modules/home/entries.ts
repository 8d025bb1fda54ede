/**
 * What the home page offers. Each capability adds its line here when it ships, so the
 * home page only ever leads to things that exist.
 */
export interface HomeEntry {
  href: string;
  title: string;
  description: string;
}

export const HOME_ENTRIES: HomeEntry[] = [
  {
    href: '/report',
    title: 'Report a problem',
    description:
      'Potholes, fly-tipping, broken street lights and more, with a photo if you have one.',
  },
  {
    href: '/services',
    title: 'Find a service',
    description:
      'Search or browse everything you can do with us, from library books to school places.',
  },
  {
    href: '/track',
    title: 'Check progress',
    description: 'See where your report, application or request has got to, using its reference.',
  },
  {
    href: '/help/contact',
    title: 'Contact us',
    description: 'Phone, email or visit us, with our opening hours.',
  },
];
