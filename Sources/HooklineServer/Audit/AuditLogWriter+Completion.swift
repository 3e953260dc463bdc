import Foundation
import HooklineCore
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Whom each durable write tells, and how a batch tells them.
extension AuditLogWriter {
    /// A completion, the event loop it wants to run on (nil: the writer thread), and the dedup
    /// claim its record settles.
    struct Waiter: Sendable {
        var loop: (any EventLoop)?
        var completion: Notification
        var claim: MessageKey?

        init(loop: (any EventLoop)?, completion: @escaping Completion, claim: MessageKey? = nil) {
            self.loop = loop
            self.completion = .failure(completion)
            self.claim = claim
        }

        init(loop: (any EventLoop)?, opening: @escaping @Sendable (OpeningOutcome) -> Void, claim: MessageKey?) {
            self.loop = loop
            self.completion = .opening(opening)
            self.claim = claim
        }
    }

    /// Whom a waiter tells, and how: an opening's completion takes its outcome directly, so the
    /// journal does not wrap it in a closure of its own per delivery.
    enum Notification: Sendable {
        case failure(Completion)
        case opening(@Sendable (OpeningOutcome) -> Void)

        func callAsFunction(_ error: JournalFailure?) {
            switch self {
            case .failure(let completion): completion(error)
            case .opening(let completion): completion(error.map(OpeningOutcome.failed) ?? .durable)
            }
        }
    }

    /// Settles the batch's dedup claims, then runs its completions: those bound to an event loop
    /// in one hop per loop, the rest here.
    func complete(_ waiters: [Waiter], error: JournalFailure?, claims: inout [MessageKey]) {
        if let settle {
            claims.removeAll(keepingCapacity: true)
            for waiter in waiters { if let claim = waiter.claim { claims.append(claim) } }
            if !claims.isEmpty { error == nil ? settle(claims, []) : settle([], claims) }
        }
        // The common batch: every waiter on one event loop (or one waiter): one hop, no grouping.
        if let loop = waiters.first?.loop, waiters.allSatisfy({ $0.loop === loop }) {
            if waiters.count == 1 {
                let completion = waiters[0].completion
                loop.execute { completion(error) }
            } else {
                loop.execute { for waiter in waiters { waiter.completion(error) } }
            }
            return
        }
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, completions: [Notification])] = [:]
        for waiter in waiters {
            guard let loop = waiter.loop else {
                waiter.completion(error)
                continue
            }
            byLoop[ObjectIdentifier(loop), default: (loop, [])].completions.append(waiter.completion)
        }
        for (_, group) in byLoop {
            let completions = group.completions
            group.loop.execute { for completion in completions { completion(error) } }
        }
    }
}
