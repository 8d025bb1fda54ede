// The advisers' chat console (/staff/chat and /staff/chat/:id), made live over the agents'
// socket (protocol: src/modules/chat/protocol.ts). The pages work without it: every form
// still posts. This adds the queue as it changes, new messages as they arrive, replies over
// the socket, quick replies that fill the reply box, and "typing…" both ways.

interface Frame {
  t: string;
  [key: string]: unknown;
}

interface Message {
  chat: number;
  seq: number;
  clientId: string | null;
  from: string;
  name: string;
  text: string;
  links: { href: string; text: string }[];
  at: string;
}

interface QueueItem {
  id: number;
  topic: string;
  name: string | null;
  since: string;
  signedIn: boolean;
}

interface ChatSummary extends QueueItem {
  messages: Message[];
}

const PING_MS = 20_000;
const TYPING_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 5000;
const MAX_BACKOFF_MS = 30_000;

const clock = new Intl.DateTimeFormat('en-GB', {
  hour: 'numeric',
  minute: '2-digit',
  hourCycle: 'h12',
  timeZone: 'Europe/London',
});
const timeOf = (iso: string) => clock.format(new Date(iso)).replace(/\s/g, '').toLowerCase();

/** A message id of our own: the same id sent again is the same message, stored once. */
function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text !== undefined) made.textContent = text;
  return made;
}

class AgentConsole {
  private socket: WebSocket | undefined;
  private retries = 0;
  private lost = false;
  private pingTimer: number | undefined;
  private typingTimer: number | undefined;
  private lastTyping = 0;
  private readonly chatId: number;
  private readonly mine: boolean;
  private readonly log: HTMLOListElement | null;
  private readonly residentName: string;
  /** Our replies sent over the socket and not yet seen stored, by their client id. */
  private readonly pending = new Map<string, { text: string; item: HTMLLIElement }>();
  private q(selector: string): HTMLElement | null {
    return this.root.querySelector<HTMLElement>(selector);
  }

  constructor(private readonly root: HTMLElement) {
    this.chatId = Number(root.dataset.chat ?? 0);
    this.mine = root.hasAttribute('data-mine');
    this.log = this.root.querySelector<HTMLOListElement>('[data-chat-log]');
    this.residentName =
      this.log?.querySelector('.app-console-message--resident .app-console-message__who')
        ?.textContent ?? 'The resident';
    this.enhanceReply();
    this.scrollToEnd();
  }

  connect(): void {
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${window.location.host}/chat/agent-socket`);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.retries = 0;
      if (this.lost) this.say('Connected again.');
      this.lost = false;
      if (this.chatId && this.mine)
        this.send({ t: 'sync', after: { [String(this.chatId)]: this.lastSeq() } });
      // Replies sent before the connection dropped, again: with the same id, stored once.
      for (const [id, { text }] of this.pending)
        this.send({ t: 'msg', chat: this.chatId, id, text });
      this.pingTimer = window.setInterval(() => {
        this.send({ t: 'ping' });
      }, PING_MS);
    });
    socket.addEventListener('message', (event) => {
      if (typeof event.data === 'string') this.handle(JSON.parse(event.data) as Frame);
    });
    socket.addEventListener('close', () => {
      window.clearInterval(this.pingTimer);
      if (!this.lost) this.say('Connection lost. Trying again… You can still use the forms.');
      this.lost = true;
      const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.retries);
      this.retries += 1;
      window.setTimeout(
        () => {
          this.connect();
        },
        backoff * (0.5 + Math.random() / 2),
      );
    });
  }

  private open(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  private send(frame: Frame): void {
    if (this.open()) this.socket?.send(JSON.stringify(frame));
  }

  private say(text: string): void {
    const line = this.q('[data-connection]');
    if (line) line.textContent = text;
  }

  private handle(frame: Frame): void {
    switch (frame.t) {
      case 'hello':
        this.showQueue(frame.queue as QueueItem[]);
        this.showChats(frame.chats as ChatSummary[]);
        return;
      case 'queue':
        this.showQueue(frame.waiting as QueueItem[]);
        return;
      case 'chats':
        this.showChats(frame.chats as ChatSummary[]);
        return;
      case 'msg': {
        const message = frame as unknown as Message;
        if (message.chat === this.chatId) this.add(message);
        else if (message.from === 'resident')
          this.q(`[data-chat-item="${String(message.chat)}"] [data-new]`)?.removeAttribute(
            'hidden',
          );
        return;
      }
      case 'typing':
        if (frame.chat === this.chatId && frame.from === 'resident') this.showTyping();
        return;
      case 'state':
        if (frame.chat === this.chatId && frame.status === 'closed') this.ended();
        return;
      case 'closed':
        if (frame.chat === this.chatId) this.ended();
        this.q(`[data-chat-item="${String(frame.chat)}"]`)?.remove();
        return;
      case 'error':
        this.say(String(frame.message));
        // A reply refused (the chat ended, or is no longer theirs) will never be stored.
        if (frame.code === 'refused' && frame.chat === this.chatId) {
          for (const { item } of this.pending.values())
            item.querySelector('.app-console-message__sending')?.replaceChildren('Not sent');
          this.pending.clear();
        }
        return;
    }
  }

  // ---- The open chat ------------------------------------------------------------------

  private lastSeq(): number {
    const items = this.log?.querySelectorAll<HTMLElement>('[data-seq]') ?? [];
    return Math.max(0, ...Array.from(items, (item) => Number(item.dataset.seq)));
  }

  /** A message, in its place by number; one already shown is ignored. */
  private add(message: Message): void {
    const log = this.log;
    if (!log || log.querySelector(`[data-seq="${String(message.seq)}"]`)) return;
    const item = this.render(message);
    const pending = message.clientId ? this.pending.get(message.clientId) : undefined;
    if (pending && message.clientId) {
      this.pending.delete(message.clientId);
      pending.item.replaceWith(item);
    } else {
      const later = Array.from(log.children).find((child) => {
        const seq = (child as HTMLElement).dataset.seq;
        return seq === undefined || Number(seq) > message.seq;
      });
      log.insertBefore(item, later ?? null);
    }
    if (message.from === 'resident') this.q('[data-typing]')?.replaceChildren();
    this.scrollToEnd();
  }

  /** The newest message in view inside the log, without moving the page. */
  private scrollToEnd(): void {
    const box = this.log?.parentElement;
    if (box) box.scrollTop = box.scrollHeight;
  }

  private render(message: Partial<Message> & { from: string; text: string }): HTMLLIElement {
    const item = element('li', `app-console-message app-console-message--${message.from}`);
    if (message.seq !== undefined) item.dataset.seq = String(message.seq);
    const meta = element('p', 'app-console-message__meta');
    const who =
      message.from === 'resident'
        ? this.residentName
        : message.from === 'system'
          ? 'Automatic message'
          : (message.name ?? 'You');
    meta.append(element('span', 'app-console-message__who', who), ' ');
    if (message.at) {
      const at = element('time', '', timeOf(message.at));
      at.dateTime = message.at;
      meta.append(at);
    } else meta.append(element('span', 'app-console-message__sending', 'Sending…'));
    item.append(meta, element('p', 'app-console-message__text', message.text));
    const links = (message.links ?? []).filter((l) => /^\/(?!\/)|^https:\/\//.test(l.href));
    if (links.length) {
      const list = element('ul', 'govuk-list app-console-message__links');
      for (const link of links) {
        const a = element('a', 'govuk-link', link.text);
        a.href = link.href;
        list.append(element('li', ''));
        list.lastElementChild?.append(a);
      }
      item.append(list);
    }
    return item;
  }

  private showTyping(): void {
    const line = this.q('[data-typing]');
    if (!line) return;
    line.textContent = `${this.residentName} is typing…`;
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => {
      line.replaceChildren();
    }, TYPING_SHOWN_MS);
  }

  private ended(): void {
    for (const form of this.root.querySelectorAll('[data-reply-form], [data-canned-form]'))
      form.remove();
    this.q('[data-typing]')?.replaceChildren();
    this.say('The conversation has ended. Reload the page to see its outcome.');
  }

  /** Replies over the socket while it is open; the form posts as usual while it is not. */
  private enhanceReply(): void {
    const form = this.root.querySelector<HTMLFormElement>('[data-reply-form]');
    const box = form?.querySelector<HTMLTextAreaElement>('textarea[name="text"]');
    const clientId = form?.querySelector<HTMLInputElement>('input[name="clientId"]');
    if (!form || !box || !clientId) return;
    const hint = element('p', 'govuk-hint', 'Enter sends. Shift and Enter starts a new line.');
    hint.id = 'text-keys';
    box.before(hint);
    box.setAttribute(
      'aria-describedby',
      `${box.getAttribute('aria-describedby') ?? ''} text-keys`.trim(),
    );

    form.addEventListener('submit', (event) => {
      const text = box.value.trim();
      // Empty or too long: the server's error summary says what to do.
      if (!this.open() || !text || text.length > 2000) return;
      event.preventDefault();
      const id = clientId.value;
      const item = this.render({ from: 'agent', text, name: 'You' });
      item.classList.add('app-console-message--pending');
      this.log?.append(item);
      this.scrollToEnd();
      this.pending.set(id, { text, item });
      this.send({ t: 'msg', chat: this.chatId, id, text });
      clientId.value = newClientId();
      box.value = '';
      box.focus();
    });
    box.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    box.addEventListener('input', () => {
      const now = Date.now();
      if (now - this.lastTyping < TYPING_EVERY_MS) return;
      this.lastTyping = now;
      this.send({ t: 'typing', chat: this.chatId });
    });
    // A quick reply fills the box, to be read and changed before it is sent.
    for (const button of this.root.querySelectorAll<HTMLButtonElement>('[data-canned-text]')) {
      const verb = button.querySelector('[data-canned-verb]');
      if (verb) verb.textContent = 'Use';
      button.addEventListener('click', (event) => {
        event.preventDefault();
        box.value = button.dataset.cannedText ?? '';
        box.focus();
      });
    }
  }

  // ---- The console's lists ------------------------------------------------------------

  private showQueue(waiting: QueueItem[]): void {
    const body = this.q('[data-queue]');
    if (!body) return;
    const token = this.root.querySelector<HTMLInputElement>('input[name="_csrf"]')?.value ?? '';
    body.replaceChildren(
      ...waiting.map((chat) => {
        const row = element('tr', 'govuk-table__row');
        const cell = (text: string) => row.appendChild(element('td', 'govuk-table__cell', text));
        cell(chat.topic.length > 120 ? `${chat.topic.slice(0, 117)}…` : chat.topic);
        cell(chat.name ?? 'Name not given');
        cell(timeOf(chat.since));
        cell(chat.signedIn ? 'Yes' : 'No');
        const form = element('form', '');
        form.method = 'post';
        form.action = `/staff/chat/${String(chat.id)}/accept`;
        const csrf = element('input', '');
        csrf.type = 'hidden';
        csrf.name = '_csrf';
        csrf.value = token;
        const accept = element('button', 'govuk-button govuk-!-margin-bottom-0', 'Accept');
        accept.type = 'submit';
        accept.append(
          element('span', 'govuk-visually-hidden', ` chat from ${chat.name ?? 'a resident'}`),
        );
        form.append(csrf, accept);
        cell('').append(form);
        return row;
      }),
    );
    const count = this.q('[data-queue-count]');
    if (count) count.textContent = `(${String(waiting.length)})`;
    this.q('[data-queue-empty]')?.toggleAttribute('hidden', waiting.length > 0);
  }

  private showChats(chats: ChatSummary[]): void {
    for (const chat of chats) {
      if (chat.id === this.chatId) {
        for (const message of chat.messages) this.add(message);
        if (!this.mine) this.say('This chat has been passed to you. Reload the page to reply.');
      }
      const list = this.q('[data-my-chats]');
      if (!list || this.q(`[data-chat-item="${String(chat.id)}"]`)) continue;
      const item = element('li', '');
      item.dataset.chatItem = String(chat.id);
      const link = element('a', 'govuk-link', chat.topic.slice(0, 80));
      link.href = `/staff/chat/${String(chat.id)}`;
      const fresh = element('strong', 'govuk-tag govuk-tag--yellow app-console-new', 'New message');
      fresh.dataset.new = '';
      fresh.hidden = true;
      item.append(
        link,
        ' ',
        element('span', 'app-console-meta', chat.name ?? 'Name not given'),
        ' ',
        fresh,
      );
      list.append(item);
      this.q('[data-no-chats]')?.setAttribute('hidden', '');
    }
  }
}

const root = document.querySelector<HTMLElement>('[data-agent-console]');
if (root && 'WebSocket' in window) new AgentConsole(root).connect();
