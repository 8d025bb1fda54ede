import type { Kysely } from 'kysely';
import { CaseService, type OpenCaseInput } from './modules/cases/service.js';
import type { DB } from './platform/db/types.js';

/** Every demo case is from this address, which is how seeding knows it has already run. */
export const DEMO_EMAIL = 'demo.resident@example.com';

interface DemoCase {
  open: Omit<OpenCaseInput, 'actor' | 'contact'>;
  /** Status changes after opening, each with the public text residents see. */
  updates: { status: string; text: string }[];
}

// Around Westmoor town centre (Market Street, WM1 1AA) and Brindle, so the public list has neighbours.
const reports: DemoCase[] = [
  {
    open: {
      serviceCode: 'report-a-pothole',
      refPrefix: 'PTH',
      kind: 'report',
      channel: 'web',
      title: 'Deep pothole outside the primary school',
      location: { lat: 51.4211, lng: -2.1965 },
    },
    updates: [
      { status: 'investigating', text: 'An inspector will visit within 2 working days.' },
      { status: 'action_scheduled', text: 'A repair is booked for next week.' },
    ],
  },
  {
    open: {
      serviceCode: 'report-a-pothole',
      refPrefix: 'PTH',
      kind: 'report',
      channel: 'app',
      title: 'Pothole on the bend by the church',
      location: { lat: 51.4198, lng: -2.2032 },
    },
    updates: [
      { status: 'in_progress', text: 'Our highways team is on site.' },
      { status: 'fixed', text: 'The pothole has been filled. Thank you for telling us.' },
    ],
  },
  {
    open: {
      serviceCode: 'report-fly-tipping',
      refPrefix: 'FTP',
      kind: 'report',
      channel: 'web',
      title: 'Mattress and bin bags dumped in the lay-by',
      location: { lat: 51.4236, lng: -2.2021 },
    },
    updates: [
      {
        status: 'investigating',
        text: 'An enforcement officer will look for evidence before it is cleared.',
      },
    ],
  },
  {
    open: {
      serviceCode: 'report-fly-tipping',
      refPrefix: 'FTP',
      kind: 'report',
      channel: 'phone',
      title: 'Building rubble on the bridleway',
      location: { lat: 51.3941, lng: -2.1102 },
    },
    updates: [{ status: 'fixed', text: 'Cleared on Tuesday.' }],
  },
  {
    open: {
      serviceCode: 'report-a-street-light-fault',
      refPrefix: 'STR',
      kind: 'report',
      channel: 'web',
      title: 'Street light flickering all night',
      location: { lat: 51.4189, lng: -2.1949 },
    },
    updates: [
      {
        status: 'not_responsible',
        text: 'This light belongs to the housing association. We have passed your report to them.',
      },
    ],
  },
  {
    open: {
      serviceCode: 'report-graffiti-on-council-property',
      refPrefix: 'GRF',
      kind: 'report',
      channel: 'face_to_face',
      title: 'Offensive graffiti on the underpass',
      location: { lat: 51.4207, lng: -2.2018 },
    },
    updates: [],
  },
];

const others: DemoCase[] = [
  {
    open: {
      serviceCode: 'renew-library-books',
      refPrefix: 'BKS',
      kind: 'transaction',
      channel: 'web',
      title: 'Renewed 3 library books',
    },
    updates: [{ status: 'completed', text: 'Your books are now due back on 20 December.' }],
  },
  {
    open: {
      serviceCode: 'apply-for-a-primary-school-place',
      refPrefix: 'SCH',
      kind: 'application',
      channel: 'web',
      title: 'Primary school place for September',
    },
    updates: [{ status: 'in_review', text: 'We are checking your application.' }],
  },
  {
    open: {
      serviceCode: 'subscribe-to-garden-waste-collection',
      refPrefix: 'GDN',
      kind: 'request',
      channel: 'phone',
      title: 'Garden waste collection subscription',
    },
    updates: [],
  },
];

/** Seeds the demo council's cases once; running it again changes nothing. Returns how many it made. */
export async function seedDemo(db: Kysely<DB>): Promise<number> {
  const seeded = await db
    .selectFrom('cases')
    .select('id')
    .where('contact_email', '=', DEMO_EMAIL)
    .executeTakeFirst();
  if (seeded) return 0;
  const cases = new CaseService(db);
  const all = [...reports, ...others];
  for (const demo of all) {
    const opened = await cases.openCase({
      ...demo.open,
      contact: { name: 'Sam Demo', email: DEMO_EMAIL },
      actor:
        demo.open.channel === 'phone' || demo.open.channel === 'face_to_face'
          ? { type: 'staff', name: 'Customer services' }
          : { type: 'resident' },
    });
    for (const update of demo.updates) {
      await cases.changeStatus(
        opened.id,
        update.status,
        { type: 'staff', name: 'Council officer' },
        { publicText: update.text },
      );
    }
  }
  return all.length;
}
