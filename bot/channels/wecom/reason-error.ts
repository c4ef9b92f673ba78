// The error the WeCom callback parsers throw: a message for people and a reason for code and tests.
export class ReasonError<Reason extends string> extends Error {
  readonly reason: Reason;

  constructor(reason: Reason, message: string) {
    super(message);
    this.reason = reason;
  }
}
