/**
 * Turns a Message into the two parts of an email: plain text and accessible HTML. The HTML is
 * built for mail clients, not browsers: one column of presentation tables, inline styles only
 * (clients strip <style>), no external CSS and no images except the council's optional logo.
 */
import type { Block, Message } from './messages.js';

export interface Branding {
  councilName: string;
  publicUrl: string;
  colour: string /* #rrggbb, white text on it passes AA */;
  logoUrl?: string /* absolute */;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const TEXT_COLOUR = '#0b0c0c';
const SECONDARY_TEXT_COLOUR = '#505a5f';
const LINK_COLOUR = '#1d70b8';
const INSET_BORDER_COLOUR = '#b1b4b6';
const PAGE_COLOUR = '#f3f2f1';
const FONT = 'font-family:Arial,Helvetica,sans-serif;';
const BODY_TEXT = `${FONT}font-size:19px;line-height:25px;color:${TEXT_COLOUR};`;

/** Escapes text for HTML content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Escaping stops markup, not a `javascript:` link: only absolute http(s) URLs go in an href. */
function safeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`Not an absolute URL: ${url}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new TypeError(`Not an http(s) URL: ${url}`);
  }
  return url;
}

/** The colour goes into style attributes, where escaping would not stop CSS being injected. */
function safeColour(colour: string): string {
  if (!/^#[0-9a-f]{6}$/i.test(colour)) throw new TypeError(`Not a #rrggbb colour: ${colour}`);
  return colour;
}

/** "Text: URL", or the URL alone when it is its own text; the URL is never wrapped or shortened. */
function textLink(text: string, href: string): string {
  if (text === href) return href;
  return /[.!?:]$/.test(text) ? `${text}\n${href}` : `${text}:\n${href}`;
}

function blockText(block: Block): string {
  switch (block.type) {
    case 'paragraph':
    case 'inset':
      return block.text;
    case 'button':
    case 'link':
      return textLink(block.text, block.href);
    case 'list':
      return block.items.map((item) => `- ${item}`).join('\n');
  }
}

function renderText(message: Message, branding: Branding, unsubscribeUrl?: string): string {
  return [
    ...message.blocks.map(blockText),
    `${branding.councilName}\n${branding.publicUrl}`,
    ...(unsubscribeUrl ? [`Stop getting these emails: ${unsubscribeUrl}`] : []),
  ].join('\n\n');
}

/** Escaped text with its line breaks kept. */
function htmlText(text: string): string {
  return escapeHtml(text).replace(/\r?\n/g, '<br>');
}

function link(text: string, href: string): string {
  return `<a href="${escapeHtml(safeUrl(href))}" style="color:${LINK_COLOUR};text-decoration:underline;">${htmlText(text)}</a>`;
}

const PARAGRAPH = `margin:0 0 20px 0;${BODY_TEXT}`;

function blockHtml(block: Block, colour: string): string {
  switch (block.type) {
    case 'paragraph':
      return `<p style="${PARAGRAPH}">${htmlText(block.text)}</p>`;
    case 'inset':
      return `<p style="${PARAGRAPH}padding:15px;border-left:10px solid ${INSET_BORDER_COLOUR};">${htmlText(block.text)}</p>`;
    case 'button':
      return (
        `<p style="${PARAGRAPH}"><a href="${escapeHtml(safeUrl(block.href))}" ` +
        `style="display:inline-block;${FONT}font-size:19px;line-height:25px;font-weight:bold;` +
        `color:#ffffff;background-color:${colour};padding:10px 20px;text-decoration:none;` +
        `border-bottom:2px solid ${TEXT_COLOUR};">${htmlText(block.text)}</a></p>`
      );
    case 'link':
      return `<p style="${PARAGRAPH}">${link(block.text, block.href)}</p>`;
    case 'list':
      return (
        `<ul style="margin:0 0 20px 0;padding-left:20px;${BODY_TEXT}">` +
        block.items
          .map((item) => `<li style="margin-bottom:5px;">${htmlText(item)}</li>`)
          .join('') +
        '</ul>'
      );
  }
}

function renderHtml(message: Message, branding: Branding, unsubscribeUrl?: string): string {
  const colour = safeColour(branding.colour);
  const name = escapeHtml(branding.councilName);
  // With a logo, its alt text names the council; the name again beside it would be read twice.
  const masthead = branding.logoUrl
    ? `<img src="${escapeHtml(safeUrl(branding.logoUrl))}" alt="${name}" height="40" style="display:block;height:40px;width:auto;border:0;color:#ffffff;${FONT}font-size:24px;font-weight:bold;">`
    : `<span style="${FONT}font-size:24px;line-height:30px;font-weight:bold;color:#ffffff;">${name}</span>`;
  const footer = [
    `<p style="margin:0 0 10px 0;${FONT}font-size:16px;line-height:24px;color:${SECONDARY_TEXT_COLOUR};">${link(branding.councilName, branding.publicUrl)}</p>`,
    ...(unsubscribeUrl
      ? [
          `<p style="margin:0;${FONT}font-size:16px;line-height:24px;color:${SECONDARY_TEXT_COLOUR};">${link('Stop getting these emails', unsubscribeUrl)}</p>`,
        ]
      : []),
  ].join('');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light">',
    `<title>${escapeHtml(message.subject)}</title>`,
    '</head>',
    `<body style="margin:0;padding:0;background-color:${PAGE_COLOUR};">`,
    // The preview line mail clients show after the subject; hidden when the email is open.
    `<span style="display:none;max-height:0;max-width:0;overflow:hidden;opacity:0;mso-hide:all;font-size:1px;line-height:1px;color:${PAGE_COLOUR};">${escapeHtml(message.preview)}</span>`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;background-color:${PAGE_COLOUR};">`,
    '<tr><td align="center" style="padding:0;">',
    '<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background-color:#ffffff;">',
    `<tr><td style="background-color:${colour};padding:15px 20px;">${masthead}</td></tr>`,
    `<tr><td style="padding:30px 20px 10px 20px;${BODY_TEXT}">`,
    ...message.blocks.map((block) => blockHtml(block, colour)),
    '</td></tr>',
    `<tr><td style="padding:20px;border-top:1px solid ${INSET_BORDER_COLOUR};">${footer}</td></tr>`,
    '</table>',
    '</td></tr>',
    '</table>',
    '</body>',
    '</html>',
  ].join('\n');
}

/** unsubscribeUrl, when given, is shown as "Stop getting these emails: <url>" at the foot. */
export function renderEmail(
  message: Message,
  branding: Branding,
  unsubscribeUrl?: string,
): RenderedEmail {
  return {
    subject: message.subject,
    text: renderText(message, branding, unsubscribeUrl),
    html: renderHtml(message, branding, unsubscribeUrl),
  };
}
