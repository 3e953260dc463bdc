import Foundation

extension PostgresSchema {
    /// Each event keeps the trace context of the span that accepted it (`TraceCarrier` text), so
    /// the instance that applies it — this one after a crash, or another after a takeover —
    /// joins its attempts to that trace.
    ///
    /// The functions that write and hand out events are migration 3's, with the trace added: the
    /// accept takes it (a last parameter), and the claim, the heads and the finish return it (a
    /// last column). They are made from migration 3's text (which never changes) by the edits
    /// below, each of which must apply exactly as often as it says: `TracingSchemaTests` holds
    /// them to it. Like migration 3, this one wants every instance on the new version (an older
    /// one's accept no longer matches the function).
    static let version7: String = {
        var blocks = [
            """
            ALTER TABLE hookline_events ADD COLUMN trace text
            """,
            """
            DROP FUNCTION hookline_accept(text, text[], text[], text[], text[], text[], text[], timestamptz[], bytea[], boolean[], bytea[],
                                          text[], text[], text[], text[], integer[], integer[], text[])
            """,
            "DROP FUNCTION hookline_claim(text, interval, integer, text[], boolean)",
            "DROP FUNCTION hookline_heads(text[], text[])",
            """
            DROP FUNCTION hookline_finish_batch(text, bigint[], text[], bigint[], text[], bytea[], boolean, text[], interval, bigint[])
            """,
        ]
        for name in ["hookline_accept(", "hookline_heads(", "hookline_claim(", "hookline_finish_batch("] {
            guard let block = statements(version3).first(where: { $0.contains("CREATE FUNCTION \(name)") }) else { continue }
            blocks.append(tracingEdits.reduce(block) { $0.replacingOccurrences(of: $1.from, with: $1.to) })
        }
        return blocks.joined(separator: "\n\n")
    }()

    /// The edits that add the trace to migration 3's functions, with how often each applies in all
    /// four together.
    static let tracingEdits: [(from: String, to: String, count: Int)] = [
        // hookline_accept: the parameter, and the column in each of its three inserts.
        ("j_route text[]\n) RETURNS TABLE (event_id text", "j_route text[], e_trace text[]\n) RETURNS TABLE (event_id text", 1),
        (
            "INSERT INTO hookline_events (id, source, message, type, contact, targets, received_at, payload, accepted_by)",
            "INSERT INTO hookline_events (id, source, message, type, contact, targets, received_at, payload, accepted_by, trace)", 3
        ),
        ("e_received[i], e_payload[i], p_instance)", "e_received[i], e_payload[i], p_instance, nullif(e_trace[i], ''))", 3),
        // A redrive's context replaces the event's: the redriven jobs' attempts join the redrive's
        // trace (which links to the first), as they do on the file store.
        (
            "            END IF;\n        END IF;\n        kept := kept || e_id[i];",
            "            END IF;\n            UPDATE hookline_events ev SET trace = nullif(e_trace[i], '')\n"
                + "            WHERE ev.id = e_id[i] AND nullif(e_trace[i], '') IS NOT NULL;\n        END IF;\n        kept := kept || e_id[i];", 1
        ),
        // hookline_heads, hookline_claim, hookline_finish_batch: the column handed out with each head.
        ("received_at timestamptz, payload bytea\n", "received_at timestamptz, payload bytea, trace text\n", 3),
        ("e.received_at, e.payload\n", "e.received_at, e.payload, e.trace\n", 2),
    ]
}
