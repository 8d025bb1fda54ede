// The residents' live chat, loaded only when someone opens it (or has a chat going).
// Without JavaScript the "Chat with us" link goes to /chat, a contact form; this is the
// enhancement. Protocol: src/modules/chat/protocol.ts. What makes it reliable: every
// message has a number, the last one seen is kept in sessionStorage, and on any reconnect
// (dropped signal, a new page) the widget asks for everything after it; messages it sent
// that were not acknowledged are sent again with the same id, which the server stores once.

type Frame = Record<string, unknown> & { t: string };
interface Link {
  href: string;
  text: string;
}
interface Pending {
  id: string;
  text: string;
}
interface Saved {
  token: string;
  pending: Pending[];
  open: boolean;
}

const STORE = 'shire.chat';
const TYPING_SHOWN_MS = 4000;

function load(): Saved | undefined {
  try {
    const raw = sessionStorage.getItem(STORE);
    return raw ? (JSON.parse(raw) as Saved) : undefined;
  } catch {
    return undefined;
  }
}

function newId(): string {
  const random = crypto.getRandomValues(new Uint32Array(4));
  return Array.from(random, (n) => n.toString(36)).join('-');
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & { className?: string } = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function button(text: string, className = 'govuk-button'): HTMLButtonElement {
  return el('button', { type: 'button', className, textContent: text });
}

export class ChatWidget {
  private socket: WebSocket | undefined;
  private saved: Saved | undefined = load();
  /** Message numbers shown on this page; a new page starts empty and is sent the whole chat. */
  private readonly shown = new Set<number>();
  /** Every message up to this number is shown: where a reconnect resumes. */
  private upTo = 0;
  private status = '';
  private retries = 0;
  private closedByUs = false;
  private typingTimer = 0;
  private lastTypingSent = 0;
  private readonly root: HTMLElement;
  private readonly log: HTMLOListElement;
  private readonly statusLine: HTMLParagraphElement;
  private readonly errorLine: HTMLParagraphElement;
  private readonly actions: HTMLDivElement;
  private readonly form: HTMLFormElement;
  private readonly text: HTMLTextAreaElement;
  private readonly label: HTMLLabelElement;

  private readonly launcher: HTMLElement | null;

  /**
   * `inline`: in the /chat page's own space; otherwise a panel over the page, in `container`
   * (on another website, a shadow root, so neither site's styles touch the other's).
   */
  constructor(
    private readonly base: string,
    inline: HTMLElement | null,
    { container, launcher }: { container?: ShadowRoot; launcher?: HTMLElement } = {},
  ) {
    this.launcher = launcher ?? document.querySelector<HTMLElement>('[data-chat-launcher]');
    const title = el('h2', { className: 'govuk-heading-m app-chat__title', id: 'app-chat-title' });
    title.textContent = 'Chat with us';
    const close = button('Close', 'govuk-button govuk-button--secondary app-chat__close');
    close.setAttribute('aria-label', 'Close the chat window (the conversation carries on)');
    close.addEventListener('click', () => {
      this.hide();
    });
    this.statusLine = el('p', { className: 'govuk-body-s app-chat__status' });
    this.statusLine.setAttribute('role', 'status');
    this.errorLine = el('p', { className: 'govuk-error-message app-chat__error', hidden: true });
    this.errorLine.setAttribute('role', 'alert');
    this.log = el('ol', { className: 'app-chat__messages' });
    // The live region wraps the list, so the messages keep their list semantics.
    const logRegion = el('div', { className: 'app-chat__log' }, this.log);
    logRegion.setAttribute('role', 'log');
    logRegion.setAttribute('aria-live', 'polite');
    logRegion.setAttribute('aria-label', 'Conversation');
    this.actions = el('div', { className: 'app-chat__actions' });
    this.label = el('label', { className: 'govuk-label', htmlFor: 'app-chat-text' });
    this.text = el('textarea', {
      className: 'govuk-textarea app-chat__text',
      id: 'app-chat-text',
      rows: 2,
      maxLength: 2000,
    });
    this.text.addEventListener('input', () => {
      this.sendTyping();
    });
    this.text.addEventListener('keydown', (event) => {
      // Enter sends, Shift+Enter is a new line, as in every chat.
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.form = el(
      'form',
      { className: 'app-chat__form', noValidate: true },
      el('div', { className: 'govuk-form-group' }, this.label, this.text),
      el('button', { type: 'submit', className: 'govuk-button', textContent: 'Send' }),
    );
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    this.root = el(
      'section',
      { className: inline ? 'app-chat app-chat--inline' : 'app-chat' },
      el('div', { className: 'app-chat__header' }, title, ...(inline ? [] : [close])),
      this.statusLine,
      this.errorLine,
      logRegion,
      this.actions,
      this.form,
    );
    this.root.setAttribute('aria-labelledby', 'app-chat-title');
    if (!inline) {
      this.root.setAttribute('role', 'dialog');
      // Escape closes the panel, as with any dialog; the conversation carries on.
      this.root.addEventListener('keydown', (event) => {
        if (event.key === 'Escape') this.hide();
      });
    }
    (inline ?? container ?? document.body).append(this.root);
    if (!inline) this.root.hidden = true;
    this.render();
    window.addEventListener('online', () => {
      if (!this.socket) this.connect();
    });
    if (this.saved) this.connect();
  }

  /** Opens the panel and puts the cursor where the resident types. */
  show(): void {
    this.root.hidden = false;
    this.remember({ open: true });
    this.text.focus();
  }

  hide(): void {
    this.root.hidden = true;
    this.remember({ open: false });
    this.launcher?.focus();
  }

  get wasOpen(): boolean {
    return this.saved?.open ?? false;
  }

  private remember(change: Partial<Saved>): void {
    if (!this.saved) return;
    this.saved = { ...this.saved, ...change };
    sessionStorage.setItem(STORE, JSON.stringify(this.saved));
  }

  private connect(): void {
    const url = new URL('/chat/socket', this.base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url);
    this.socket = socket;
    this.closedByUs = false;
    socket.addEventListener('open', () => {
      this.retries = 0;
      this.showError('');
      if (this.saved) {
        socket.send(JSON.stringify({ t: 'resume', token: this.saved.token, after: this.upTo }));
        // Sent but never acknowledged: again, with the same ids, in order.
        for (const message of this.saved.pending)
          socket.send(JSON.stringify({ t: 'msg', ...message }));
      }
    });
    socket.addEventListener('message', (event) => {
      this.receive(JSON.parse(String(event.data)) as Frame);
    });
    socket.addEventListener('close', () => {
      this.socket = undefined;
      if (this.closedByUs || !this.saved) return;
      this.statusLine.textContent = 'Reconnecting…';
      const delay = Math.min(8000, 500 * 2 ** this.retries) + Math.random() * 250;
      this.retries += 1;
      window.setTimeout(() => {
        this.connect();
      }, delay);
    });
  }

  private send(frame: Frame): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  private submit(): void {
    const text = this.text.value.trim();
    if (!text) {
      this.showError(this.saved ? 'Enter a message' : 'Tell us what you need help with');
      this.text.focus();
      return;
    }
    this.showError('');
    const id = newId();
    this.text.value = '';
    if (!this.saved) {
      this.pendingStart = { topic: text, id };
      if (!this.socket) this.connect();
      this.startWhenOpen();
      return;
    }
    this.remember({ pending: [...this.saved.pending, { id, text }] });
    this.addMessage({ from: 'resident', name: 'You', text, links: [], clientId: id, seq: 0 });
    this.send({ t: 'msg', id, text });
  }

  private pendingStart: { topic: string; id: string } | undefined;

  private startWhenOpen(): void {
    if (!this.pendingStart) return;
    if (!this.send({ t: 'start', ...this.pendingStart }))
      this.socket?.addEventListener(
        'open',
        () => {
          if (this.pendingStart) this.send({ t: 'start', ...this.pendingStart });
        },
        { once: true },
      );
  }

  private sendTyping(): void {
    if (this.status !== 'active' || Date.now() - this.lastTypingSent < 2000) return;
    this.lastTypingSent = Date.now();
    this.send({ t: 'typing' });
  }

  private receive(frame: Frame): void {
    switch (frame.t) {
      case 'started':
        this.pendingStart = undefined;
        this.saved = { token: String(frame.token), pending: [], open: true };
        this.remember({});
        return;
      case 'msg': {
        const seq = Number(frame.seq);
        if (!this.saved || this.shown.has(seq)) return; // shown already
        this.shown.add(seq);
        while (this.shown.has(this.upTo + 1)) this.upTo += 1;
        this.remember({ pending: this.saved.pending.filter((p) => p.id !== frame.clientId) });
        this.addMessage(frame as unknown as Message);
        return;
      }
      case 'ack':
        if (!this.saved) return;
        this.remember({ pending: this.saved.pending.filter((p) => p.id !== frame.id) });
        this.log
          .querySelector(`[data-client-id="${String(frame.id)}"]`)
          ?.classList.remove('app-chat__message--sending');
        return;
      case 'typing':
        this.statusLine.textContent = 'The adviser is typing…';
        window.clearTimeout(this.typingTimer);
        this.typingTimer = window.setTimeout(() => {
          this.render();
        }, TYPING_SHOWN_MS);
        return;
      case 'state':
        this.state = frame;
        this.status = String(frame.status);
        this.render();
        return;
      case 'rated':
        this.actions
          .querySelector('[data-rating]')
          ?.replaceWith(
            el('p', { className: 'govuk-body', textContent: 'Thank you for your feedback.' }),
          );
        return;
      case 'error':
        if (frame.code === 'unknown-chat') this.forget();
        this.showError(String(frame.message));
        return;
    }
  }

  private state: Frame = { t: 'state' };

  private addMessage(message: Message): void {
    const existing = message.clientId
      ? this.log.querySelector<HTMLElement>(`[data-client-id="${message.clientId}"]`)
      : null;
    if (existing) {
      existing.classList.remove('app-chat__message--sending');
      existing.dataset.seq = String(message.seq);
      return;
    }
    const who =
      message.from === 'resident' ? 'You' : message.from === 'system' ? 'Council' : message.name;
    const item = el(
      'li',
      { className: `app-chat__message app-chat__message--${message.from}` },
      el('span', { className: 'app-chat__who', textContent: `${who}: ` }),
      el('span', { className: 'app-chat__said', textContent: message.text }),
    );
    if (message.links.length) {
      const list = el('ul', { className: 'govuk-list app-chat__links' });
      for (const link of message.links)
        list.append(
          el(
            'li',
            {},
            el('a', {
              className: 'govuk-link',
              href: new URL(link.href, this.base).href,
              textContent: link.text,
            }),
          ),
        );
      item.append(list);
    }
    if (message.clientId) item.dataset.clientId = message.clientId;
    // Sending: shown at the end until the server numbers it.
    if (message.seq === 0) item.classList.add('app-chat__message--sending');
    item.dataset.seq = String(message.seq || Number.MAX_SAFE_INTEGER);
    // In number order, whatever order they arrived in (history and live can cross).
    const later = [...this.log.children].find(
      (other) =>
        Number((other as HTMLElement).dataset.seq) > (message.seq || Number.MAX_SAFE_INTEGER),
    );
    this.log.insertBefore(item, later ?? null);
    this.log.parentElement?.scrollTo({ top: this.log.scrollHeight });
  }

  private showError(text: string): void {
    this.errorLine.textContent = text;
    this.errorLine.hidden = text === '';
  }

  /** The status line, the actions and the box to type in, for where the chat stands. */
  private render(): void {
    const state = this.state;
    const open = state.open === true;
    this.actions.replaceChildren();
    this.form.hidden = false;
    if (!this.saved) {
      this.label.textContent = 'What do you need help with?';
      this.statusLine.textContent =
        'Tell us in a sentence. We will show you anything you can do online straight away.';
      return;
    }
    this.label.textContent = 'Your message';
    switch (this.status) {
      case 'triage':
        if (open) {
          this.statusLine.textContent = 'If the links above do not help, an adviser can.';
          const talk = button('Talk to an adviser');
          talk.addEventListener('click', () => {
            this.send({ t: 'agent' });
          });
          this.actions.append(talk);
        } else {
          this.statusLine.textContent =
            state.hours === true
              ? 'All our advisers are busy just now. Leave a message and we will reply by email.'
              : 'Our advisers are not online now. Leave a message and we will reply by email.';
          this.actions.append(this.leaveMessageForm());
          this.form.hidden = true;
        }
        return;
      case 'waiting': {
        const minutes = Number(state.minutes);
        this.statusLine.textContent = `You are number ${String(state.position)} in the queue. Expected wait: about ${String(minutes)} minute${minutes === 1 ? '' : 's'}.`;
        return;
      }
      case 'active':
        this.statusLine.textContent = 'You are talking to an adviser.';
        return;
      case 'message':
        this.statusLine.textContent = 'Message left. We will reply by email.';
        this.form.hidden = true;
        this.actions.append(this.newChatButton());
        return;
      case 'closed':
        this.statusLine.textContent = 'The conversation has ended.';
        this.form.hidden = true;
        this.actions.append(this.ratingForm(), this.copyForm(), this.newChatButton());
        return;
    }
  }

  private field(
    id: string,
    labelText: string,
    input: HTMLInputElement | HTMLTextAreaElement,
  ): HTMLDivElement {
    input.id = id;
    input.name = id;
    return el(
      'div',
      { className: 'govuk-form-group' },
      el('label', { className: 'govuk-label', htmlFor: id, textContent: labelText }),
      input,
    );
  }

  private leaveMessageForm(): HTMLFormElement {
    const name = el('input', { className: 'govuk-input', autocomplete: 'name' });
    const email = el('input', {
      className: 'govuk-input',
      type: 'email',
      autocomplete: 'email',
      spellcheck: false,
    });
    const text = el('textarea', { className: 'govuk-textarea', rows: 3 });
    const form = el(
      'form',
      { noValidate: true },
      this.field('app-chat-name', 'Your name', name),
      this.field('app-chat-email', 'Email address', email),
      this.field('app-chat-message', 'Your message', text),
      el('button', { type: 'submit', className: 'govuk-button', textContent: 'Leave message' }),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.send({ t: 'leave', name: name.value, email: email.value, text: text.value });
    });
    return form;
  }

  private ratingForm(): HTMLFormElement {
    const choices = el('div', {
      className: 'govuk-radios govuk-radios--small govuk-radios--inline',
    });
    for (const [value, text] of [
      ['5', 'Very good'],
      ['4', 'Good'],
      ['3', 'OK'],
      ['2', 'Poor'],
      ['1', 'Very poor'],
    ]) {
      const id = `app-chat-rating-${value}`;
      choices.append(
        el(
          'div',
          { className: 'govuk-radios__item' },
          el('input', {
            className: 'govuk-radios__input',
            type: 'radio',
            name: 'rating',
            id,
            value,
          }),
          el('label', {
            className: 'govuk-label govuk-radios__label',
            htmlFor: id,
            textContent: text,
          }),
        ),
      );
    }
    const form = el(
      'form',
      {},
      el(
        'fieldset',
        { className: 'govuk-fieldset' },
        el('legend', {
          className: 'govuk-fieldset__legend govuk-fieldset__legend--s',
          textContent: 'How did we do?',
        }),
        choices,
      ),
      el('button', {
        type: 'submit',
        className: 'govuk-button govuk-button--secondary',
        textContent: 'Send rating',
      }),
    );
    form.dataset.rating = '';
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const chosen = form.querySelector<HTMLInputElement>('input[name=rating]:checked');
      if (chosen) this.send({ t: 'rate', rating: Number(chosen.value) });
      else this.showError('Choose how we did');
    });
    return form;
  }

  private copyForm(): HTMLFormElement {
    const email = el('input', {
      className: 'govuk-input',
      type: 'email',
      autocomplete: 'email',
      spellcheck: false,
    });
    const form = el(
      'form',
      { noValidate: true },
      this.field('app-chat-copy', 'Email me a copy', email),
      el('button', {
        type: 'submit',
        className: 'govuk-button govuk-button--secondary',
        textContent: 'Send copy',
      }),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.emailCopy(email.value, form);
    });
    return form;
  }

  private async emailCopy(email: string, form: HTMLFormElement): Promise<void> {
    if (!this.saved) return;
    const response = await fetch(new URL('/chat/transcript', this.base), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: this.saved.token, email }),
    });
    if (response.ok)
      form.replaceWith(
        el('p', { className: 'govuk-body', textContent: `We have sent a copy to ${email}.` }),
      );
    else {
      const problem = (await response.json().catch(() => ({}))) as { detail?: string };
      this.showError(problem.detail ?? 'We could not send a copy. Try again.');
    }
  }

  private newChatButton(): HTMLButtonElement {
    const again = button('Start a new chat', 'govuk-button govuk-button--secondary');
    again.addEventListener('click', () => {
      this.forget();
      this.text.focus();
    });
    return again;
  }

  /** Ends this widget's hold on the chat: the next message starts a new one. */
  private forget(): void {
    this.closedByUs = true;
    this.socket?.close();
    this.saved = undefined;
    this.shown.clear();
    this.upTo = 0;
    this.status = '';
    this.state = { t: 'state' };
    sessionStorage.removeItem(STORE);
    this.log.replaceChildren();
    this.render();
  }
}

interface Message {
  seq: number;
  clientId: string | null;
  from: 'resident' | 'agent' | 'system';
  name: string;
  text: string;
  links: Link[];
}
