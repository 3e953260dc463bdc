/// The console's pages, as Mustache templates: `{{x}}` is HTML-escaped; only `content` (a page
/// already rendered here) is inserted raw.
enum ConsoleTemplates {
    static let all: [(String, String)] = [
        ("layout", layout), ("login", login), ("events", events), ("dead-letters", deadLetters), ("event", event), ("targets", targets),
        ("alerts", alerts), ("error", error), ("filters", filters), ("rows", rows), ("redrive-confirm", redriveConfirm),
        ("redrive-progress", redriveProgress),
    ]

    static let layout = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Hookline</title>{{#refresh}}<meta http-equiv="refresh" content="1">{{/refresh}}<link rel="stylesheet" href="/static/console.css"><script src="/static/console.js" defer></script></head>
        <body>
        <header><strong>Hookline</strong>
        {{#signed_in}}<nav><a href="/events">Events</a> <a href="/dead-letters">Dead letters</a> <a href="/targets">Targets</a> <a href="/alerts">Alerts</a></nav>
        <form method="post" action="/logout" class="inline"><input type="hidden" name="form_token" value="{{form_token}}"><span class="who">{{who}}</span> <button>Sign out</button></form>{{/signed_in}}
        </header>
        <main><h1>{{title}}</h1>
        {{{content}}}
        </main></body></html>
        """

    static let login = """
        <form method="post" action="/login" class="login">
        {{#error}}<p class="problem">That token is not one of this console's.</p>{{/error}}
        <label>Token <input type="password" name="token" autocomplete="current-password" autofocus required></label>
        <button>Sign in</button>
        <p class="hint"><code>hookline console-token</code> makes a token; its SHA-256 goes under <code>console.tokens</code>.</p>
        </form>
        """

    static let filters = """
        <form method="get" class="filters">
        <input name="source" placeholder="source" value="{{filters.source}}">
        <input name="type" placeholder="type" value="{{filters.type}}">
        <input name="target" placeholder="target" value="{{filters.target}}">
        <select name="outcome"><option value="">any state</option>{{#outcomes}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/outcomes}}</select>
        <input name="contact" placeholder="contact id" value="{{filters.contact}}">
        <input name="message" placeholder="message id" value="{{filters.message}}">
        <input name="event" placeholder="event id" value="{{filters.event}}">
        <input name="since" placeholder="since (2h or a time)" value="{{filters.since}}">
        <input name="until" placeholder="until" value="{{filters.until}}">
        <button>Filter</button> <a href="?">clear</a>
        </form>
        """

    static let rows = """
        {{#empty}}<p class="empty">No events match.{{#searched_back_to}} Searched back to {{searched_back_to}}.{{/searched_back_to}}</p>{{/empty}}
        {{^empty}}<table class="events"><thead><tr><th>Received</th><th>Event</th><th>Source</th><th>Type</th><th>Contact</th><th>Targets</th></tr></thead><tbody>
        {{#rows}}<tr><td><time>{{ts}}</time></td><td><a href="{{link}}">{{id}}</a>{{#redriven}} <span class="tag">redriven</span>{{/redriven}}</td><td>{{source}}</td><td>{{type}}</td><td>{{contact}}</td>
        <td>{{#targets}}<span class="state {{state}}" title="{{attempts}}">{{target}}: {{state}}</span> {{/targets}}</td></tr>{{/rows}}
        </tbody></table>{{/empty}}
        {{#older}}<p class="pager"><a href="{{older}}">Older →</a>{{#searched_back_to}} (searched back to {{searched_back_to}}){{/searched_back_to}}</p>{{/older}}
        """

    static let events = """
        {{> filters}}
        {{> rows}}
        """

    static let deadLetters = """
        <p class="tabs">{{#dead_tabs}}<a href="/dead-letters?outcome={{name}}"{{#selected}} class="selected"{{/selected}}>{{name}}</a> {{/dead_tabs}}</p>
        <p class="hint">Events a target will not apply unless they are redriven. Redrive one from its page, or all with <code>hookline redrive</code>.</p>
        {{#can_act}}{{^empty}}<p><a href="/redrive?{{query}}">Redrive these…</a> (you are asked to confirm, with a count)</p>{{/empty}}{{/can_act}}
        {{> rows}}
        """

    static let event = """
        {{#event}}<dl class="facts"><dt>Event</dt><dd>{{id}}</dd><dt>Received</dt><dd>{{ts}}</dd><dt>Source</dt><dd>{{source}}</dd><dt>Type</dt><dd>{{type}}</dd><dt>Contact</dt><dd><a href="{{contact_link}}">{{contact}}</a></dd>
        <dt>Targets</dt><dd>{{#targets}}<span class="state {{state}}">{{target}}: {{state}} ({{attempts}})</span> {{/targets}}</dd>{{/event}}
        <dt>Message id</dt><dd>{{message}}</dd>{{#remote}}<dt>From</dt><dd>{{remote}}</dd>{{/remote}}<dt>Became</dt><dd>{{decoded}}</dd></dl>
        {{#can_act}}{{#redrivable}}<form method="post" action="{{event.link}}/redrive" class="inline" data-confirm="Redrive this event's dead and failed targets?"><input type="hidden" name="form_token" value="{{form_token}}"><button>Redrive dead and failed targets</button></form>{{/redrivable}}{{/can_act}}
        <h2>Attempts</h2>
        <table class="timeline"><thead><tr><th>Time</th><th>Outcome</th><th>Target</th><th>Attempt</th><th>Status</th><th>ms</th><th>Next retry</th><th>Error</th><th>By</th></tr></thead><tbody>
        {{#timeline}}<tr class="{{outcome}}"><td>{{ts}}</td><td>{{outcome}}</td><td>{{target}}</td><td>{{attempt}}</td><td>{{status}}</td><td>{{ms}}</td><td>{{retry_in}}</td><td>{{error}}</td><td>{{by}}</td></tr>{{/timeline}}
        </tbody></table>
        <h2>Payload{{#masked}} <span class="tag">masked: viewers see its shape, not its values</span>{{/masked}}</h2>
        <pre class="payload">{{payload}}</pre>
        """

    static let targets = """
        <table class="targets"><thead><tr><th>Target</th><th>Kind</th><th>State</th><th>Applied, last hour</th><th>Applied, last day</th><th>Last success</th><th>Failures in a row</th><th>Waiting</th><th>Oldest waiting</th><th></th></tr></thead><tbody>
        {{#targets}}<tr><td><a href="{{events}}">{{name}}</a></td><td>{{kind}}</td><td>{{#paused}}<span class="state dead">paused by {{paused_by}}</span>{{/paused}}{{^paused}}<span class="state applied">running</span>{{/paused}}</td>
        <td>{{#low}}<span class="state failed">{{hour}}</span>{{/low}}{{^low}}{{hour}}{{/low}}</td><td>{{day}}</td><td>{{last_success}}</td><td>{{streak}}</td><td>{{waiting}}</td><td>{{waited}}</td>
        <td>{{#can_act}}<form method="post" action="/targets/{{name}}/{{#paused}}resume{{/paused}}{{^paused}}pause{{/paused}}" class="inline" data-confirm="{{#paused}}Resume{{/paused}}{{^paused}}Pause{{/paused}} {{name}}?"><input type="hidden" name="form_token" value="{{form_token}}"><button>{{#paused}}Resume{{/paused}}{{^paused}}Pause{{/paused}}</button></form>{{/can_act}}</td></tr>{{/targets}}
        </tbody></table>
        <p class="hint">Applied: the share of jobs that ended applied (not failed or dead). Failures in a row are this instance's. A paused target's events wait in the store, in order; resumed, they run again.</p>
        """

    static let alerts = """
        {{^configured}}<p class="hint">No alert rules are configured (<code>alerts:</code>, see docs/alerts.md).</p>{{/configured}}
        <h2>Firing now</h2>
        {{^open}}<p class="empty">Nothing is firing.</p>{{/open}}
        <ul>{{#open}}<li><span class="state {{state}}">{{state}}</span> {{rule}} — {{subject}}</li>{{/open}}</ul>
        <h2>Sent</h2>
        <table><thead><tr><th>Sent</th><th>State</th><th>Alert</th><th>By</th></tr></thead><tbody>
        {{#sent}}<tr><td>{{sent_at}}</td><td><span class="state {{state}}">{{state}}</span></td><td>{{summary}}</td><td>{{sent_by}}</td></tr>{{/sent}}
        </tbody></table>
        """

    static let redriveConfirm = """
        {{#none}}<p class="empty">Nothing to redrive: no dead or failed target matches ({{filters}}).</p>{{/none}}
        {{^none}}<p>Redrive <strong>{{targets}}</strong> dead or failed targets of <strong>{{events}}</strong> events matching: {{filters}}{{^filters}}everything{{/filters}}.</p>
        <form method="post" action="/redrive">{{#fields}}<input type="hidden" name="{{name}}" value="{{value}}">{{/fields}}<input type="hidden" name="form_token" value="{{form_token}}"><button>Redrive {{events}} events</button> <a href="/dead-letters">cancel</a></form>{{/none}}
        """

    static let redriveProgress = """
        {{^finished}}<p class="hint">Running — this page reloads itself each second until it is done.</p>{{/finished}}
        <p><progress max="{{events}}" value="{{done}}">{{percent}}%</progress> {{done}} of {{events}} events; {{targets}} targets queued again{{#finished}} — done{{/finished}}. Asked by {{by}}.</p>
        {{#problems.0}}<h2>Not redriven</h2><ul>{{#problems}}<li>{{.}}</li>{{/problems}}</ul>{{/problems.0}}
        <p><a href="/dead-letters">Dead letters</a></p>
        """

    static let error = """
        <p class="problem">{{message}}</p>
        """

    static let css = """
        body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
        header{display:flex;gap:1.5em;align-items:center;padding:.6em 1.2em;background:#1d232a;color:#fff}
        header a{color:#cfe3ff;margin-right:1em;text-decoration:none}header nav{flex:1}header .who{color:#aab}
        main{padding:1em 1.2em}h1{font-size:1.3em;margin:.2em 0 .8em}h2{font-size:1.05em;margin-top:1.5em}
        table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.35em .6em;border-bottom:1px solid #e3e6ea;vertical-align:top}
        th{font-weight:600;background:#eef1f4}.state{display:inline-block;padding:0 .45em;border-radius:3px;background:#e3e6ea;font-size:.9em}
        .state.applied{background:#d6f2dd}.state.dead,.state.failed{background:#fbd9d6}.state.retry,.state.warning{background:#fdefc8}.state.pending{background:#e4ecfb}
        .state.firing{background:#fbd9d6}.state.recovered{background:#d6f2dd}
        .filters{display:flex;flex-wrap:wrap;gap:.4em;margin-bottom:1em}.filters input{width:9em}
        .inline{display:inline}.problem{color:#a2261b}.hint,.empty{color:#5b6570}.tag{font-size:.8em;color:#5b6570}
        .payload{background:#fff;border:1px solid #e3e6ea;padding:.8em;white-space:pre-wrap;word-break:break-all}
        .facts{display:grid;grid-template-columns:8em 1fr;gap:.2em 1em}.facts dt{color:#5b6570}.facts dd{margin:0}
        .login{max-width:24em;display:grid;gap:.8em}.tabs a{margin-right:1em}.tabs a.selected{font-weight:600}
        """

    /// The one script: asks before a form marked `data-confirm` is sent. Every page works
    /// without it.
    static let script = """
        document.addEventListener("submit", function (event) {
          var message = event.target.getAttribute("data-confirm");
          if (message && !window.confirm(message)) { event.preventDefault(); }
        });
        """
}
