// Live chat on the council's other websites, with one tag:
//   <script src="https://<shire>/chat/embed.js" defer></script>
// It adds a "Chat with us" button and the same chat panel as on Shire, inside a shadow
// root so the host page's styles and Shire's never mix. The chat socket checks that the
// host page's origin is one of the council's sites listed in council.yaml (chat.origins).
import { ChatWidget } from './chat-widget.js';

const script = document.currentScript as HTMLScriptElement | null;
const base = new URL(script?.src ?? window.location.href).origin;

const host = document.createElement('div');
host.className = 'shire-chat';
const shadow = host.attachShadow({ mode: 'open' });
const styles = document.createElement('link');
styles.rel = 'stylesheet';
styles.href = `${base}/chat/embed.css`;
const launcher = document.createElement('button');
launcher.type = 'button';
launcher.className = 'govuk-button app-chat-launcher';
launcher.textContent = script?.dataset.label ?? 'Chat with us';
shadow.append(styles, launcher);
document.body.append(host);

let widget: ChatWidget | undefined;
const open = () => (widget ??= new ChatWidget(base, null, { container: shadow, launcher }));
launcher.addEventListener('click', () => {
  open().show();
});
// A chat going on when the resident moved to another page of the site carries on.
if (sessionStorage.getItem('shire.chat') && open().wasOpen) open().show();
