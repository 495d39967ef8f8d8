import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';

/** The result of {@link countTokens}. */
export type TokenCount =
  /** The document parsed with `tokens` lexical tokens (punctuators, names, values; comments excluded). */
  | { readonly kind: 'counted'; readonly tokens: number }
  /** Parsing stopped at token `limit + 1`: the document has more than `limit` tokens. */
  | { readonly kind: 'exceeded'; readonly tokens: number }
  /** The document is not valid GraphQL syntax; the caller lets the normal parse report it. */
  | { readonly kind: 'syntax-error' };

/**
 * Counts the lexical tokens of a GraphQL document with graphql-armor's token-counting parser
 * (`@escape.tech/graphql-armor-max-tokens`), stopping as soon as the count passes `limit`, so that a
 * huge document costs no more than `limit` tokens of work (Apollo Router `parser_max_tokens`).
 *
 * @param source - the document text.
 * @param limit - the most tokens accepted.
 */
export function countTokens(source: string, limit: number): TokenCount {
  const parser = new MaxTokensParserWLexer(source, { n: limit, propagateOnRejection: true });
  try {
    parser.parseDocument();
    return { kind: 'counted', tokens: parser.tokenCount };
  } catch {
    return parser.tokenCount > limit ? { kind: 'exceeded', tokens: parser.tokenCount } : { kind: 'syntax-error' };
  }
}
