/**
 * Ask with a form, submit what it answers, and when the server refuses, ask
 * again with everything the user typed and the server's reason: a refusal
 * never throws the form away.
 */

/** What the form answered: the request to send and the form to reopen with. */
export interface IFormAnswer<F, R> {
  form: F;
  request: R;
}

/** The form as it was when the server refused it, and why. */
export interface IRefusedForm<F> {
  form: F;
  error: string;
}

/**
 * Loop ask → submit until the server accepts (its answer is returned) or the
 * user cancels (null). `ask` gets null the first time.
 */
export async function submitUntilAccepted<F, R, A>(
  ask: (refused: IRefusedForm<F> | null) => Promise<IFormAnswer<F, R> | null>,
  submit: (request: R) => Promise<A>
): Promise<A | null> {
  let refused: IRefusedForm<F> | null = null;
  for (;;) {
    const answer = await ask(refused);
    if (!answer) {
      return null;
    }
    try {
      return await submit(answer.request);
    } catch (error) {
      refused = {
        form: answer.form,
        error: (error as Error)?.message || String(error)
      };
    }
  }
}
