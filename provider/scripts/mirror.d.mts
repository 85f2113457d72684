/** Types of mirror.mjs (a plain script so it runs without a build). */
export function writeMirror(mirrorDir: string, opts?: { node?: string }): { version: string; executable: string; cliConfig: string };
