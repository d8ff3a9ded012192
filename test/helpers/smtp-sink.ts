/**
 * The tests' SMTP sink: the real `smtp-server` sink from dev/smtp-sink.ts on a free port,
 * nothing written to disk. Point a context at it with `createTestContext({ SMTP_URL: sink.url })`.
 *
 *   const sink = await startTestSink();
 *   sink.failWith({ code: 451, times: 2, recipients: [agencyEmail] }); // two refusals, then accept
 *   const [mail] = await sink.waitFor(1, { filter: to('agency@example.org') });
 *   mail.subject; mail.text; mail.headers['message-id'];
 */
import { SmtpSink, type SinkMessage } from '../../dev/smtp-sink.js';

export type { SinkMessage };
export { SmtpSink };

export async function startTestSink(): Promise<SmtpSink> {
  return new SmtpSink({ host: '127.0.0.1', port: 0, dir: null }).start();
}

/** A waitFor filter: messages whose envelope includes this recipient. */
export const to =
  (address: string) =>
  (m: SinkMessage): boolean =>
    m.envelope.to.includes(address);

/** A waitFor filter: messages whose subject contains this text. */
export const subjectHas =
  (text: string) =>
  (m: SinkMessage): boolean =>
    m.subject.includes(text);

/** Waits a little and returns how many messages match: for asserting that nothing MORE arrived. */
export async function settle(sink: SmtpSink, filter: (m: SinkMessage) => boolean = () => true, ms = 500): Promise<SinkMessage[]> {
  await new Promise((r) => setTimeout(r, ms));
  return sink.messages.filter(filter);
}
