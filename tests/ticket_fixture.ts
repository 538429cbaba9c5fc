/** A ticket to start unit tests from: backlog, unclaimed, every field set, `over` on top. */
import { newTicketBody, type Ticket } from "../src/model/ticket.ts";

/** When {@linkcode sampleTicket}'s tickets were created and last updated. */
export const SAMPLE_TIME = "2026-11-25T10:00:00Z";

export function sampleTicket(id: string, over: Partial<Ticket> = {}): Ticket {
  return {
    id,
    title: `Ticket ${id}`,
    status: "backlog",
    priority: "medium",
    created: SAMPLE_TIME,
    created_by: "human",
    claimed_by: null,
    claimed_at: null,
    labels: [],
    branch: null,
    files: [],
    depends_on: [],
    updated: SAMPLE_TIME,
    claim_epoch: 0,
    extra: [],
    body: newTicketBody("Text."),
    ...over,
  };
}
