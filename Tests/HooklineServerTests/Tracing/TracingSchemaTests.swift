import Foundation
@testable import HooklineServer
import Testing

/// Migration 7 is made from migration 3's functions by edits; each must apply exactly as often as
/// it says, or the functions it makes would not carry the trace (the PostgreSQL process tests
/// then fail too, less plainly).
@Suite("migration 7: the trace added to migration 3's functions")
struct TracingSchemaTests {
    @Test("every edit applies as often as it says, and the functions made carry the trace")
    func edits() {
        let sources = PostgresSchema.statements(PostgresSchema.version3).filter { block in
            ["hookline_accept(", "hookline_heads(", "hookline_claim(", "hookline_finish_batch("].contains { block.contains("CREATE FUNCTION \($0)") }
        }
        #expect(sources.count == 4)
        let text = sources.joined(separator: "\n\n")
        for edit in PostgresSchema.tracingEdits {
            #expect(text.components(separatedBy: edit.from).count - 1 == edit.count, "\(edit.from)")
        }
        let made = PostgresSchema.statements(PostgresSchema.version7)
        #expect(made.count == 9, "one column, four drops, four functions")
        #expect(made.contains { $0.contains("e_trace text[]") && $0.contains("nullif(e_trace[i], '')") })
        #expect(made.filter { $0.contains("payload bytea, trace text") }.count == 3)
    }
}
