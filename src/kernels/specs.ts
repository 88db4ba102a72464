/**
 * Which environments the server can launch a kernel in, read from the kernel
 * specs it lists. Having ipykernel installed is not enough: a kernel exists
 * only when a spec names the environment's prefix (metadata
 * `jupyter_env_manager.env_prefix`), whichever kernel spec manager wrote it.
 */
import { IEnvironment } from '../api';

/** What an environment is, as a kernel, on this server. */
export type KernelState =
  /** A kernel spec of the server names it: it can be launched. */
  | 'kernel'
  /** ipykernel is installed, but the server lists no kernel for it. */
  | 'unlisted'
  /** No ipykernel and no kernel spec. */
  | 'none';

/** The kernelspec name the server gives an environment's kernel, if any. */
export function kernelNameFor(
  specs: Record<string, unknown> | undefined | null,
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

export function kernelState(
  env: Pick<IEnvironment, 'prefix' | 'has_ipykernel'>,
  specs: Record<string, unknown> | undefined | null
): KernelState {
  if (kernelNameFor(specs, env.prefix) !== null) {
    return 'kernel';
  }
  return env.has_ipykernel ? 'unlisted' : 'none';
}
