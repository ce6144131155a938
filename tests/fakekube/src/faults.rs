//! Fault injection: queued error replies, reply latency and watch-stream limits.
//! (`drop_watches` is an epoch in the store state, since open streams poll it.)

use std::time::Duration;

#[derive(Clone, Debug)]
struct Fault {
    verb: String,
    resource: String,
    status: u16,
    remaining: usize,
}

#[derive(Default)]
pub(crate) struct Faults {
    queue: Vec<Fault>,
    /// Slept before every request is handled.
    pub latency: Duration,
    /// Sent as `Retry-After` (seconds) with every injected 429, as the real server's
    /// priority-and-fairness answer does; `None` (the default) sends none.
    pub retry_after: Option<u64>,
    /// The next `.0` watch streams end after `.1` events.
    watch_limit: Option<(usize, usize)>,
    /// Resources (plural names) whose watch streams deliver nothing new for now, as a
    /// lagging watch cache would: their events wait in the log, none is lost.
    held_watches: Vec<String>,
}

impl Faults {
    pub fn push(&mut self, verb: &str, resource: &str, status: u16, count: usize) {
        if count > 0 {
            self.queue.push(Fault {
                verb: verb.into(),
                resource: resource.into(),
                status,
                remaining: count,
            });
        }
    }

    /// The status to answer this request with, if a queued fault matches it. Faults are
    /// consumed in the order they were injected. `verb`/`resource` may be "*" in a fault; a
    /// fault on a resource also hits its subresources ("sealedsecrets" matches
    /// "sealedsecrets/status"), so a fault can target "whatever writes this kind".
    pub fn take(&mut self, verb: &str, resource: &str) -> Option<u16> {
        let i = self.queue.iter().position(|f| {
            (f.verb == "*" || f.verb == verb)
                && (f.resource == "*"
                    || f.resource == resource
                    || resource
                        .strip_prefix(f.resource.as_str())
                        .is_some_and(|sub| sub.starts_with('/')))
        })?;
        let f = self.queue.get_mut(i)?;
        f.remaining -= 1;
        let code = f.status;
        if f.remaining == 0 {
            self.queue.remove(i);
        }
        Some(code)
    }

    pub fn hold_watches(&mut self, resource: &str, held: bool) {
        self.held_watches.retain(|r| r != resource);
        if held {
            self.held_watches.push(resource.to_owned());
        }
    }

    pub fn watches_held(&self, resource: &str) -> bool {
        self.held_watches.iter().any(|r| r == resource)
    }

    pub fn set_watch_limit(&mut self, streams: usize, events: usize) {
        self.watch_limit = (streams > 0).then_some((streams, events));
    }

    /// The event budget of a watch stream starting now, if one is queued.
    pub fn take_watch_limit(&mut self) -> Option<usize> {
        let (streams, events) = self.watch_limit?;
        self.watch_limit = (streams > 1).then_some((streams - 1, events));
        Some(events)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_consumed_in_order() {
        let mut f = Faults::default();
        f.push("get", "secrets", 500, 1);
        f.push("*", "*", 429, 2);
        f.push("patch", "sealedsecrets", 503, 1);
        f.push("patch", "sealedsecrets/status", 504, 1);
        assert_eq!(f.take("list", "secrets"), Some(429));
        assert_eq!(f.take("get", "secrets"), Some(500));
        assert_eq!(f.take("get", "secrets"), Some(429));
        assert_eq!(f.take("get", "secrets"), None);
        assert_eq!(f.take("patch", "sealedsecrets/status"), Some(503));
        assert_eq!(f.take("patch", "sealedsecrets"), None);
        assert_eq!(f.take("patch", "sealedsecrets/status"), Some(504));
        assert_eq!(f.take("patch", "sealedsecretsx"), None);
        f.set_watch_limit(2, 3);
        assert_eq!(f.take_watch_limit(), Some(3));
        assert_eq!(f.take_watch_limit(), Some(3));
        assert_eq!(f.take_watch_limit(), None);
    }
}
