/**
 * The extension's translation domain, and the bundle pure modules fall back
 * to when no translator is at hand (tests, the API client before a plugin
 * hands it one): the English source strings.
 */
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';

/** The gettext domain of this extension's strings. */
export const TRANSLATION_DOMAIN = 'jupyter_env_manager';

export const englishBundle: TranslationBundle =
  nullTranslator.load(TRANSLATION_DOMAIN);
