import busboy from 'busboy';

/**
 * Reads a multipart/form-data body (the cohort upload form: text fields and
 * one file) with busboy. The route has already read the body into memory with
 * its size limit; null when the body is not a readable multipart form.
 */
export interface MultipartForm {
  fields: Record<string, string>;
  files: Record<string, { filename: string; contentType: string; content: Buffer }>;
}

export function parseMultipartForm(body: Buffer, contentType: string | undefined): Promise<MultipartForm | null> {
  if (!Buffer.isBuffer(body) || !contentType?.toLowerCase().startsWith('multipart/form-data')) return Promise.resolve(null);
  return new Promise((resolve) => {
    const form: MultipartForm = { fields: {}, files: {} };
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: { 'content-type': contentType }, limits: { files: 1, fields: 20 } });
    } catch {
      return resolve(null); // no boundary, or not multipart
    }
    parser.on('field', (name, value) => {
      form.fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        form.files[name] = { filename: info.filename ?? '', contentType: info.mimeType, content: Buffer.concat(chunks) };
      });
    });
    parser.on('close', () => resolve(form));
    parser.on('error', () => resolve(null));
    parser.end(body);
  });
}
