import HooklineCore
import Synchronization

/// Ids Hookline learned from creates at targets (Plannr contact-detail uuids), so the next
/// change updates instead of creating again. Rebuilt from the audit log's `created` lines at
/// start-up; a shared store (PostgreSQL) is one more implementation.
public protocol ReferenceStore: ReferenceLookup {
    func remember(target: String, key: String, id: String)
    /// Every reference, for carrying forward across audit-log rotation.
    var all: [(target: String, key: String, id: String)] { get }
}

/// The in-memory reference store.
public final class InMemoryReferenceStore: ReferenceStore {
    private let references = Mutex<[String: String]>([:])

    public init() {}

    private static func slot(_ target: String, _ key: String) -> String { "\(target)\u{1F}\(key)" }

    public func reference(target: String, key: String) -> String? {
        references.withLock { $0[Self.slot(target, key)] }
    }

    public func remember(target: String, key: String, id: String) {
        references.withLock { $0[Self.slot(target, key)] = id }
    }

    public var all: [(target: String, key: String, id: String)] {
        references.withLock { references in
            references.map { entry in
                let parts = entry.key.split(separator: "\u{1F}", maxSplits: 1).map(String.init)
                return (parts.first ?? "", parts.count > 1 ? parts[1] : "", entry.value)
            }
        }
    }
}
