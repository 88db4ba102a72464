/**
 * Finding an environment's kernel among the kernel specs the server lists.
 */

/** The kernelspec name the server gives an environment's kernel, if any. */
export function kernelNameFor(
  specs: Record<string, unknown> | undefined,
  prefix: string
): string | null {
  for (const [name, spec] of Object.entries(specs ?? {})) {
    const metadata = (spec as { metadata?: Record<string, unknown> } | null)
      ?.metadata;
    const marker = metadata?.jupyter_env_manager as
      { env_prefix?: string } | undefined;
    if (marker?.env_prefix === prefix) {
      return name;
    }
  }
  return null;
}
