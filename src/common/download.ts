/**
 * Files handed to the browser's downloads.
 */

/** Hand a text file to the browser's downloads. */
export function download(
  filename: string,
  content: string,
  type = 'text/plain'
): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoke later: some browsers start the download after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
