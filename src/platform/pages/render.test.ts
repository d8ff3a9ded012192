import nunjucks from 'nunjucks';
import { describe, expect, it } from 'vitest';
import { createViews, nhsukCssWithoutWebFonts } from './render.js';

describe('the page templates', () => {
  const views = createViews();

  it('trims as nunjucks does, keeping escaping and marked-safe HTML apart', () => {
    const render = (src: string, ctx: object) => views.renderString(src, ctx);
    expect(render('[{{ s | trim }}]', { s: ' \n\t a <b> \u00a0\n' })).toBe('[a &lt;b&gt;]');
    expect(render('[{{ s | safe | trim }}]', { s: '  <p>kept</p>\n  ' })).toBe('[<p>kept</p>]');
    expect(render('[{{ s | trim }}]', { s: undefined })).toBe('[]');
    expect(render('[{{ n | trim }}]', { n: 42 })).toBe('[42]');
    // a block of the shape nhsuk-frontend macros trim: whitespace runs between tags
    const block = `${'<div>\n' + ' '.repeat(40)}</div>\n`.repeat(500);
    const out = views.getFilter('trim')(new nunjucks.runtime.SafeString(`\n   ${block}   \n`)) as unknown;
    expect(out).toBeInstanceOf(nunjucks.runtime.SafeString);
    expect(String(out)).toBe(block.trim());
  });

  it('makes a phone number a link a phone can ring, its text escaped', () => {
    const render = (phone: unknown) => views.renderString('{{ phone | telLink }}', { phone });
    expect(render('020 7946 0000')).toBe('<a href="tel:02079460000">020 7946 0000</a>');
    // the trunk 0 written as (0) after the country code is not dialled
    expect(render(' +44 (0)20 7946-0000 ')).toBe('<a href="tel:+442079460000">+44 (0)20 7946-0000</a>');
    expect(render('07700 900<b>1</b>')).toBe('<a href="tel:077009001">07700 900&lt;b&gt;1&lt;/b&gt;</a>');
    expect(render('ask <the> desk')).toBe('ask &lt;the&gt; desk');
    expect(render(null)).toBe('');
  });

  it('serves the NHS.UK stylesheet without web fonts from another host', () => {
    const { text, etag } = nhsukCssWithoutWebFonts();
    expect(text).not.toMatch(/@font-face/);
    expect(text).not.toMatch(/https?:\/\//);
    expect(text).toContain('.nhsuk-header');
    expect(etag).toMatch(/^"[\w-]{16}"$/);
  });
});
