/** Saves a Blob as a file through the browser's download flow (works offline, no server involved). */
export function downloadBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  // Characters that file systems refuse in names (and control characters) become "_".
  // eslint-disable-next-line no-control-regex
  a.download = name.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '_').slice(0, 120);
  document.body.append(a);
  a.click();
  a.remove();
  // Revoke on the next task: some browsers start the download asynchronously.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** Saves text as a file through the browser's download flow. */
export function downloadFile(name: string, contents: string, type: string): void {
  downloadBlob(name, new Blob([contents], { type }));
}
