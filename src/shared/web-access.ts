/**
 * What web mode says when the page has no token or a token the server refuses (a typo, or the token
 * of an earlier `dtrain serve`): the server's answer and the page's banner use this one text.
 */
export const TOKEN_HELP =
  'This page needs the address printed by `dtrain serve` (it ends in ?token=…). Open that address to connect.';

/** Answers 204 for the server's token and 401 with TOKEN_HELP otherwise; the page asks it when a connection is refused. */
export const ACCESS_CHECK_PATH = '/api/access';
