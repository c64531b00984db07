/**
 * Build step: writes a Brotli (`.br`) and a gzip (`.gz`) copy next to every text file of the
 * built app, once, at build time; `createStaticHandler` serves them to browsers that accept
 * them. The main bundle is ~750 KB as built and ~200 KB as Brotli: a first visit (a share link
 * opened on a phone) downloads a quarter of it. Compressing at build time rather than per
 * request keeps the one piece strangers can reach from spending CPU on their behalf.
 *
 * Run by `npm run build` as `node build/server/precompress.js dist`.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

/** Encodings we precompress, best first: the token of `Accept-Encoding` and the file suffix. */
export const PRECOMPRESSED_ENCODINGS = Object.freeze([
  { token: 'br', suffix: '.br' },
  { token: 'gzip', suffix: '.gz' },
] as const);

/** Text formats of the build; images and fonts are compressed already. Source maps are only for DevTools. */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.webmanifest', '.svg', '.txt']);

/** Whether the build may hold compressed copies of `fileName` (its responses then vary by `Accept-Encoding`). */
export const isCompressible = (fileName: string): boolean => COMPRESSIBLE.has(extname(fileName).toLowerCase());
/** Below this a compressed copy saves less than a packet. */
const MIN_BYTES = 1024;
/** A copy that is not at least this much smaller is not worth a second representation. */
const MAX_RATIO = 0.9;

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** What was written, for the build log. */
export interface PrecompressResult {
  files: number;
  bytes: number;
  brotliBytes: number;
  gzipBytes: number;
}

async function* filesUnder(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else if (entry.isFile()) yield path;
  }
}

/**
 * Writes `<file>.br` and `<file>.gz` for every compressible file under `dir` (maximum
 * compression: it runs once per build). Copies that would not be smaller are not written.
 */
export async function precompressDirectory(dir: string): Promise<PrecompressResult> {
  const result: PrecompressResult = { files: 0, bytes: 0, brotliBytes: 0, gzipBytes: 0 };
  const jobs: Promise<void>[] = [];
  for await (const file of filesUnder(dir)) {
    if (!isCompressible(file)) continue;
    jobs.push(
      (async () => {
        const data = await readFile(file);
        if (data.length < MIN_BYTES) return;
        const [br, gz] = await Promise.all([
          brotli(data, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
              [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
              [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
            },
          }),
          gzipAsync(data, { level: constants.Z_BEST_COMPRESSION }),
        ]);
        if (br.length > data.length * MAX_RATIO) return;
        await writeFile(`${file}.br`, br);
        if (gz.length <= data.length * MAX_RATIO) await writeFile(`${file}.gz`, gz);
        result.files++;
        result.bytes += data.length;
        result.brotliBytes += br.length;
        result.gzipBytes += gz.length;
      })(),
    );
  }
  await Promise.all(jobs);
  return result;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  const dir = process.argv[2];
  if (!dir || !(await stat(dir).catch(() => null))?.isDirectory()) {
    process.stderr.write('usage: node build/server/precompress.js <built app directory>\n');
    process.exit(1);
  }
  const r = await precompressDirectory(dir);
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  process.stdout.write(
    `precompressed ${r.files} files: ${kb(r.bytes)} → ${kb(r.brotliBytes)} brotli, ${kb(r.gzipBytes)} gzip\n`,
  );
}
