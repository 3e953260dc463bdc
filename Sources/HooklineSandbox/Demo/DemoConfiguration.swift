import HooklineCore

/// `hookline demo`'s built-in configuration: every source kind, every target kind (the
/// sandbox), and a route from each source.
package enum DemoConfiguration {
    /// The demo's signing secrets: printed on purpose, they protect nothing.
    package static let environment = [
        "DEMO_BUILDR_SECRET": "demo-buildr-webhook-secret",
        "DEMO_PLANNR_SECRET": String(repeating: "d", count: 60),
        "DEMO_STANDARD_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    ]

    /// The YAML, pointing targets at a sandbox served from `sandboxURL`.
    package static func yaml(auditPath: String, sandboxURL: String, port: Int = 0, sandbox: SandboxConfiguration = SandboxConfiguration()) -> String {
        """
        server: {host: 127.0.0.1, port: \(port), max_body_bytes: 256KiB}
        audit: {path: "\(auditPath)", fsync: batch}
        queue: {capacity: 10000, workers: 8}
        retry: {base_delay: 200ms, max_delay: 2s, max_attempts: 5, max_age: 1m}
        sources:
        \(sourcesYAML(secrets: (buildr: "DEMO_BUILDR_SECRET", plannr: "DEMO_PLANNR_SECRET", standard: "DEMO_STANDARD_SECRET")))
        targets:
          - name: buildr
            kind: buildr
            base_url: \(sandboxURL)/buildr/api/2023-01
            token_url: \(sandboxURL)/buildr/oauth/token
            client_id: \(sandbox.buildrClientID)
            client_secret: \(sandbox.buildrClientSecret)
          - name: plannr
            kind: plannr
            base_url: \(sandboxURL)/plannr/api/v2
            token: \(sandbox.plannrToken)
            account_uuid: \(sandbox.plannrAccountUUID)
          - name: omnichannel
            kind: omnichannel
            base_url: \(sandboxURL)/omnichannel
            api_key: \(sandbox.omnichannelAPIKey)
        routes:
        \(routesYAML())
        """
    }

    /// The three sources, one of each kind, each signing with the secret in the named variable.
    /// The tests' configuration uses the same.
    package static func sourcesYAML(secrets: (buildr: String, plannr: String, standard: String)) -> String {
        """
          - name: buildr
            kind: buildr
            signature: {scheme: hmac, header: X-Buildr-Signature, algorithm: sha256, encoding: hex, secret: "${\(secrets.buildr)}"}
            event_header: X-Buildr-Event
            id_header: X-Buildr-Delivery
          - name: plannr
            kind: plannr
            signature: {scheme: plannr, secret: "${\(secrets.plannr)}"}
          - name: standard
            kind: standard
            signature: {scheme: standard-webhooks, secret: "${\(secrets.standard)}"}
        """
    }

    /// A route from each source to each target it can feed; `plannrEvents` narrows Plannr's route
    /// to the omnichannel API (every kind when nil). The tests' configuration uses the same.
    package static func routesYAML(plannrEvents: String? = nil) -> String {
        """
          - {from: buildr, to: plannr, events: [created, updated], contact_id: "field:custom_fields.plannr_account_uuid"}
          - {from: buildr, to: omnichannel, contact_id: source_id}
          - {from: plannr, to: omnichannel,\(plannrEvents.map { " events: \($0)," } ?? "") contact_id: source_id}
          - {from: standard, to: buildr, contact_id: "field:external_references.buildr"}
          - {from: standard, to: plannr, events: [created, updated], contact_id: "field:custom_fields.plannr_account_uuid"}
          - {from: standard, to: omnichannel, contact_id: source_id}
        """
    }

    package static func load(auditPath: String, sandboxURL: String, port: Int = 0) throws(ConfigurationError) -> HooklineConfiguration {
        try ConfigurationLoader.load(yaml: yaml(auditPath: auditPath, sandboxURL: sandboxURL, port: port), file: "(built-in demo configuration)", environment: environment)
    }
}
