/** Types of keyVectors.mjs (the keys issue's test vectors, computed with node:crypto alone). */
export function vector(noteId: string, secret: string, update: Uint8Array): Record<string, unknown>;
export function keyVectors(): { about: string; vectors: Record<string, unknown>[]; devices: Record<string, unknown>[] };
export function deviceVector(deviceSeed: string, noteId: string, clientId: number, name: string): Record<string, unknown>;
