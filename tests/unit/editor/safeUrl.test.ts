import { describe, expect, it } from 'vitest';
import { isSafeLinkUrl, safeLinkHref, toLinkUrl } from '../../../src/editor/safeUrl';

describe('safeLinkHref', () => {
  it.each([
    ['https://example.com', 'https://example.com/'],
    ['http://example.com/a?b=c#d', 'http://example.com/a?b=c#d'],
    ['  https://example.com/x  ', 'https://example.com/x'],
    ['HTTPS://EXAMPLE.COM/Path', 'https://example.com/Path'],
    ['mailto:someone@example.com', 'mailto:someone@example.com'],
    ['MAILTO:someone@example.com?subject=hi', 'mailto:someone@example.com?subject=hi'],
    ['https://例え.jp/', 'https://xn--r8jz45g.jp/'],
  ])('allows %j', (input, expected) => {
    expect(safeLinkHref(input)).toBe(expected);
    expect(isSafeLinkUrl(input)).toBe(true);
  });

  it.each([
    ['javascript:alert(1)'],
    ['JavaScript:alert(1)'],
    ['  javascript:alert(1)'],
    ['java\tscript:alert(1)'],
    ['java\nscript:alert(1)'],
    ['java\u0000script:alert(1)'],
    ['\u0001javascript:alert(1)'],
    ['javascript&colon;alert(1)'],
    ['data:text/html,<script>alert(1)</script>'],
    ['data:image/png;base64,AAAA'],
    ['vbscript:msgbox(1)'],
    ['file:///etc/passwd'],
    ['blob:https://example.com/uuid'],
    ['tel:+123456'],
    ['sms:+123456'],
    ['ftp://example.com'],
    ['about:blank'],
    ['/relative/path'],
    ['./relative'],
    ['#fragment'],
    ['?query'],
    ['//evil.example/protocol-relative'],
    ['example.com'],
    ['http://'],
    ['https:'],
    ['http://[::1'],
    [''],
    ['   '],
  ])('refuses %j', (input) => {
    expect(safeLinkHref(input)).toBeNull();
    expect(isSafeLinkUrl(input)).toBe(false);
  });
});

describe('toLinkUrl (link form input)', () => {
  it.each([
    ['example.com', 'https://example.com/'],
    ['example.com/path?q=1', 'https://example.com/path?q=1'],
    ['localhost:8080/x', 'https://localhost:8080/x'],
    ['example.com:8443', 'https://example.com:8443/'],
    ['me@example.com', 'mailto:me@example.com'],
    ['http://example.com', 'http://example.com/'],
    ['mailto:me@example.com', 'mailto:me@example.com'],
  ])('turns %j into %j', (input, expected) => {
    expect(toLinkUrl(input)).toBe(expected);
  });

  it.each([['javascript:alert(1)'], ['data:text/html,x'], ['/relative'], ['#top'], [''], ['  '], ['tel:123']])(
    'refuses %j',
    (input) => {
      expect(toLinkUrl(input)).toBeNull();
    },
  );
});
