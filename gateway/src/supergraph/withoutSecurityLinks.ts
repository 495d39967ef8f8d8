/**
 * Apollo Gateway refuses supergraphs linking `for: SECURITY` features it cannot enforce; the oracle compares
 * execution only (authorization is Roam's plugin, before execution), so those links, the directives' definitions
 * and their uses are dropped for it (its API schema then matches Roam's, which hides linked features). The
 * benchmark gives the same SDL to the gateways it compares Roam with.
 *
 * @param sdl - a core supergraph SDL.
 * @returns the SDL without `@authenticated` and `@requiresScopes` (links, definitions, uses).
 */
export function withoutSecurityLinks(sdl: string): string {
  return sdl
    .replace(/@link\(url: "https:\/\/specs\.apollo\.dev\/(authenticated|requiresScopes)\/v0\.1", for: SECURITY\)/g, '')
    .replace(/^directive @(authenticated|requiresScopes)\b.*$/gm, '')
    .replace(/^scalar requiresScopes__Scope$/gm, '')
    .replace(/ @authenticated\b/g, '')
    .replace(/ @requiresScopes\(scopes: \[[^)]*\]\)/g, '');
}
