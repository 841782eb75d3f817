/** Reads a whole body into text, for the shapes that need the document at once (JSON). The fetch layer caps its size. */
export async function bodyText(body: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, '');
}
