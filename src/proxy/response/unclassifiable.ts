// The refusal of an answer guardrun cannot classify with certainty.

export const UNCLASSIFIABLE_CODE = 'guardrun_unclassifiable_response';

/**
 * The upstream sent something guardrun cannot classify with certainty (a tool call it could not have
 * judged, text after the end of its channel, an `event:` name that contradicts the data's `type`, a secret
 * hidden behind JSON escapes inside tool-call arguments): the rest of the answer is withheld with an error
 * event instead of being relayed unfiltered.
 */
export class UnclassifiableResponse extends Error {}
