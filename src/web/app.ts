// Browser entry point. Every page works without it: this only upgrades
// govuk-frontend components (accordions, error summaries, character counts…)
// that are marked up with `data-module`.
//
// The layout's inline script adds `govuk-frontend-supported` to <body> when the
// browser supports ES modules; initAll checks for that class and quietly does
// nothing in older browsers, leaving the plain HTML to do the job.
import { initAll } from 'govuk-frontend';

initAll();

// Live chat: the "Chat with us" link opens the chat here instead of going to /chat. The
// widget is loaded only when wanted: when the link is used, on /chat itself, or when a
// chat is going on (it carries on from page to page).
const launcher = document.querySelector<HTMLAnchorElement>('[data-chat-launcher]');
const chatHere = document.querySelector<HTMLElement>('[data-chat-here]');
let chatWidget: Promise<import('./chat-widget.js').ChatWidget> | undefined;
const openChatWidget = () =>
  (chatWidget ??= import('./chat-widget.js').then(
    ({ ChatWidget }) => new ChatWidget(window.location.origin, chatHere),
  ));
launcher?.addEventListener('click', (event) => {
  event.preventDefault();
  void openChatWidget().then((widget) => {
    widget.show();
  });
});
if (chatHere) void openChatWidget();
else if (sessionStorage.getItem('shire.chat'))
  void openChatWidget().then((widget) => {
    if (widget.wasOpen) widget.show();
  });

// The installable app: the service worker keeps the shell on the phone and shows the
// offline page when there is no signal. Browsers without one simply go to the network.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((error: unknown) => {
    console.warn('The offline support could not start', error);
  });
}
