// Errors that carry a polite answer for the person who caused them.

/**
 * Thrown by a handler to refuse a request (bad command, wrong person, wrong state). The core rolls back
 * everything the handler wrote and answers with this text (as a reply, or as the toast of a button).
 */
export class Refusal extends Error {
  override name = 'Refusal';
  constructor(readonly userMessage: string) {
    super(userMessage);
  }
}
