/**
 * A small reader for multipart/form-data (RFC 7578), enough for the cohort
 * upload form: text fields and one file, held in memory (the route limits the
 * size). Saves a dependency for one form.
 */
export interface MultipartForm {
  fields: Record<string, string>;
  files: Record<string, { filename: string; contentType: string; content: Buffer }>;
}

export function parseMultipartForm(body: Buffer, contentType: string | undefined): MultipartForm | null {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  if (!match || !Buffer.isBuffer(body)) return null;
  const boundary = Buffer.from(`--${match[1] ?? match[2]}`);
  const form: MultipartForm = { fields: {}, files: {} };
  let position = body.indexOf(boundary);
  if (position < 0) return null;
  while (true) {
    position += boundary.length;
    if (body.subarray(position, position + 2).toString() === '--') break; // closing boundary
    position += 2; // CRLF after the boundary
    const headerEnd = body.indexOf('\r\n\r\n', position);
    if (headerEnd < 0) return null;
    const headers = body.subarray(position, headerEnd).toString('utf8');
    const next = body.indexOf(boundary, headerEnd + 4);
    if (next < 0) return null;
    const content = body.subarray(headerEnd + 4, next - 2); // drop the CRLF before the boundary
    const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    if (name !== undefined) {
      if (filename !== undefined)
        form.files[name] = { filename, contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1] ?? 'application/octet-stream', content: Buffer.from(content) };
      else form.fields[name] = content.toString('utf8');
    }
    position = next;
  }
  return form;
}
