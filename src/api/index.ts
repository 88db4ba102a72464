/**
 * The extension's only door to its server: REST client, event subscriber and
 * the types they carry. Import from here, not from the modules inside.
 */
export * from './client';
export * from './events';
export * from './types';
