/**
 * The content codings a request's `Accept-Encoding` allows (RFC 9110 §12.5.3), among
 * `offered`, most preferred first: by the client's q-value, ties in `offered`'s order.
 * `q=0` refuses a coding, `*` stands for any coding not named, and no header (or an
 * unparseable one) accepts none of them — identity is always acceptable and needs no entry.
 */
export function acceptedEncodings(header: string | string[] | undefined, offered: readonly string[]): string[] {
  if (header === undefined) return [];
  const weights = new Map<string, number>();
  for (const part of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [name = '', ...params] = part.split(';');
    const token = name.trim().toLowerCase();
    if (!token) continue;
    let q: number | null = 1;
    for (const param of params) {
      if (!/^\s*q\s*=/i.test(param)) continue;
      const match = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(param);
      q = match ? Number(match[1]) : null; // a malformed weight: the entry says nothing
    }
    if (q !== null && !weights.has(token)) weights.set(token, Math.min(q, 1));
  }
  return offered
    .map((token, order) => ({ token, order, q: weights.get(token) ?? weights.get('*') ?? 0 }))
    .filter(({ q }) => q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order)
    .map(({ token }) => token);
}
