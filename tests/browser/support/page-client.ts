/**
 * A cookie-keeping client for the server-rendered pages, for tests that drive
 * forms over real HTTP without a browser: it signs in through the form, reads
 * hidden fields (CSRF token, idempotency key) from pages, and posts forms as a
 * browser would (urlencoded, no redirects followed unless asked).
 */
export interface PageResponse {
  status: number;
  location: string | null;
  html: string;
  headers: Headers;
}

export function pageClient(baseUrl: string) {
  const cookies = new Map<string, string>();
  const remember = (headers: Headers) => {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const [name, ...value] = pair.split('=');
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || attributes.some((a) => /^\s*max-age=0/i.test(a));
      if (expired || value.join('=') === '') cookies.delete(name.trim());
      else cookies.set(name.trim(), value.join('='));
    }
  };
  const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');

  async function request(method: string, path: string, body?: URLSearchParams | string, headers: Record<string, string> = {}): Promise<PageResponse> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(cookies.size ? { cookie: cookieHeader() } : {}),
        ...(body instanceof URLSearchParams ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      body,
    });
    remember(response.headers);
    return { status: response.status, location: response.headers.get('location'), html: await response.text(), headers: response.headers };
  }

  const client = {
    cookies,
    get: (path: string) => request('GET', path),
    post: (path: string, fields: Record<string, string | string[]>) => {
      const body = new URLSearchParams();
      for (const [name, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
      return request('POST', path, body);
    },
    raw: request,
    /** Loads a page and posts one of its forms' fields plus `fields`, with the page's CSRF token. */
    async submit(pagePath: string, action: string, fields: Record<string, string | string[]>) {
      const page = await client.get(pagePath);
      return client.post(action, { _csrf: hiddenField(page.html, '_csrf') ?? '', ...fields });
    },
    async signIn(username: string, password: string) {
      const page = await client.get('/sign-in');
      return client.post('/sign-in', { _csrf: hiddenField(page.html, '_csrf') ?? '', username, password });
    },
  };
  return client;
}

/** The value of the first hidden input with this name. */
export function hiddenField(html: string, name: string): string | null {
  const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(html);
  return match ? match[1].replace(/&amp;/g, '&').replace(/&quot;/g, '"') : null;
}

/** The page's text, without tags, for readable assertions. */
export function pageText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;|&rsquo;/g, '’')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}
