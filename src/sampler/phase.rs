//! The sampler thread's course through a run as a phase and a pure transition
//! function: what it does on each deadline, command or signal, decided without
//! a clock or a thread (the thread in `mod.rs` only carries the actions out),
//! so every path is tested without sleeping.

use crate::model::{End, Event};

/// Where the sampler thread is.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Waiting for the "before" sample a baseline after the start; a stop
    /// request ends the wait early.
    Before,
    /// Sampling on the grid while the workload runs.
    Periodic,
    /// The workload ended: the tail sample is due a baseline later (a stop
    /// request takes it early); `finish` is the end line waiting for it.
    Tail { finish: Option<(f64, End)> },
    /// No sample is due: waiting for the end line.
    Waiting,
    /// The end line is written, or the run is gone.
    Done,
}

/// What the sampler thread heard.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The wait for the deadline ended: it is `due` (the deadline passed),
    /// or a signal `woke` it early; `stop` says whether a stop was requested.
    Timer {
        due: bool,
        woke: bool,
        stop: bool,
    },
    Event(Event),
    WorkloadEnded(Event),
    Finish {
        t: f64,
        end: End,
        wait_tail: bool,
    },
    /// The run dropped its end of the channel.
    Disconnected,
}

/// Where the end line's time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndAt {
    /// The later of the finish's time and now.
    Now,
    /// The later of the finish's time and the tail sample's.
    LastSample,
}

/// What the sampler thread does, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    WriteEvent(Event),
    /// An interrupt cut the tail sample short: the trace says so.
    WriteInterruptInTail,
    /// Takes a sample now (and records how late it is).
    Take,
    /// Takes the short sample at the workload's end, unless one was just taken.
    TakeUnlessJustTaken,
    /// The next deadline on the grid, skipping those missed under load.
    NextOnGrid,
    /// The tail sample's deadline: a baseline from now.
    TailAfterBaseline,
    WriteEnd(EndAt, f64, End),
}

/// The actions of one step, in order: three at most, kept inline (the
/// sampler allocates nothing per sample).
#[derive(Debug, Default, PartialEq)]
pub struct Actions([Option<Action>; 3]);

impl Actions {
    fn of<const N: usize>(actions: [Action; N]) -> Actions {
        let mut all = Actions::default();
        for action in actions {
            all.push(action);
        }
        all
    }

    fn push(&mut self, action: Action) {
        let free = self.0.iter_mut().find(|slot| slot.is_none());
        *free.expect("a step takes at most three actions") = Some(action);
    }
}

impl IntoIterator for Actions {
    type Item = Action;
    type IntoIter = std::iter::Flatten<std::array::IntoIter<Option<Action>, 3>>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter().flatten()
    }
}

impl Phase {
    /// Whether a stop request ends this phase's wait early.
    pub fn cut_short_by_stop(&self) -> bool {
        matches!(self, Phase::Before | Phase::Tail { .. })
    }

    /// Whether a deadline is pending (else the thread waits for a command).
    pub fn has_deadline(&self) -> bool {
        matches!(self, Phase::Before | Phase::Periodic | Phase::Tail { .. })
    }
}

/// The next phase and the actions that lead to it. `tail` says whether the
/// run has a tail sample (a baseline other than 0).
pub fn step(phase: Phase, input: Input, tail: bool) -> (Phase, Actions) {
    match input {
        Input::Timer { due, woke, stop } => on_timer(phase, due, woke, stop),
        Input::Event(event) => (phase, Actions::of([Action::WriteEvent(event)])),
        Input::WorkloadEnded(event) => {
            let mut actions = Actions::of([Action::WriteEvent(event), Action::TakeUnlessJustTaken]);
            if tail {
                actions.push(Action::TailAfterBaseline);
                (Phase::Tail { finish: None }, actions)
            } else {
                (Phase::Waiting, actions)
            }
        }
        Input::Finish { t, end, wait_tail } => on_finish(phase, t, end, wait_tail),
        Input::Disconnected => (Phase::Done, Actions::default()),
    }
}

fn on_timer(phase: Phase, due: bool, woke: bool, stop: bool) -> (Phase, Actions) {
    if !phase.has_deadline() {
        return (phase, Actions::default());
    }
    let interrupted = stop && phase.cut_short_by_stop();
    if (woke || !due) && !interrupted {
        return (phase, Actions::default()); // woke only to look at the stop flag
    }
    match phase {
        Phase::Tail { finish } => {
            let mut actions = Actions::default();
            if interrupted {
                actions.push(Action::WriteInterruptInTail);
            }
            actions.push(Action::Take);
            match finish {
                Some((t, end)) => {
                    actions.push(Action::WriteEnd(EndAt::LastSample, t, end));
                    (Phase::Done, actions)
                }
                None => (Phase::Waiting, actions),
            }
        }
        _ => (
            Phase::Periodic,
            Actions::of([Action::Take, Action::NextOnGrid]),
        ),
    }
}

fn on_finish(phase: Phase, t: f64, end: End, wait_tail: bool) -> (Phase, Actions) {
    match phase {
        Phase::Tail { finish: None } if wait_tail => (
            Phase::Tail {
                finish: Some((t, end)),
            },
            Actions::default(),
        ),
        Phase::Before | Phase::Periodic => (
            Phase::Done,
            // The last, shorter interval.
            Actions::of([
                Action::TakeUnlessJustTaken,
                Action::WriteEnd(EndAt::Now, t, end),
            ]),
        ),
        _ => (
            Phase::Done,
            Actions::of([Action::WriteEnd(EndAt::Now, t, end)]),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventKind, Status};

    fn end() -> End {
        End {
            status: Status::Ok,
            result: None,
            wall_s: 1.0,
            user_s: 0.0,
            sys_s: 0.0,
            message: None,
        }
    }

    fn event(t: f64, kind: EventKind) -> Event {
        Event {
            t,
            event: kind,
            worker: None,
            detail: None,
        }
    }

    const DUE: Input = Input::Timer {
        due: true,
        woke: false,
        stop: false,
    };
    const WOKEN: Input = Input::Timer {
        due: false,
        woke: true,
        stop: false,
    };
    const STOPPED: Input = Input::Timer {
        due: false,
        woke: true,
        stop: true,
    };

    /// [`step`] with its actions in a Vec.
    fn step(phase: Phase, input: Input, tail: bool) -> (Phase, Vec<Action>) {
        let (next, actions) = super::step(phase, input, tail);
        (next, actions.into_iter().collect())
    }

    /// Feeds `inputs` from `phase`: the phase reached and every action taken.
    fn run(phase: Phase, inputs: Vec<Input>, tail: bool) -> (Phase, Vec<Action>) {
        inputs
            .into_iter()
            .fold((phase, Vec::new()), |(phase, mut all), input| {
                let (next, actions) = step(phase, input, tail);
                all.extend(actions);
                (next, all)
            })
    }

    #[test]
    fn a_whole_run_samples_before_on_the_grid_at_the_end_and_in_the_tail() {
        let start = event(0.5, EventKind::WorkloadStart);
        let ended = event(2.2, EventKind::WorkloadEnd);
        let (phase, actions) = run(
            Phase::Before,
            vec![
                DUE,
                Input::Event(start.clone()),
                DUE,
                DUE,
                Input::WorkloadEnded(ended.clone()),
                Input::Finish {
                    t: 2.3,
                    end: end(),
                    wait_tail: true,
                },
                DUE,
            ],
            true,
        );
        assert_eq!(phase, Phase::Done);
        use Action::*;
        assert_eq!(
            actions,
            [
                Take,
                NextOnGrid,
                WriteEvent(start),
                Take,
                NextOnGrid,
                Take,
                NextOnGrid,
                WriteEvent(ended),
                TakeUnlessJustTaken,
                TailAfterBaseline,
                Take,
                WriteEnd(EndAt::LastSample, 2.3, end()),
            ]
        );
    }

    #[test]
    fn a_wake_without_a_stop_or_a_deadline_does_nothing() {
        for phase in [Phase::Before, Phase::Periodic, Phase::Tail { finish: None }] {
            assert_eq!(step(phase.clone(), WOKEN, true), (phase, Vec::new()));
        }
        // A timer that ran out early (a spurious wake-up) is no sample either.
        let early = Input::Timer {
            due: false,
            woke: false,
            stop: false,
        };
        assert_eq!(step(Phase::Periodic, early, true).1, []);
    }

    #[test]
    fn a_stop_cuts_the_before_and_tail_waits_short_but_not_the_grid() {
        assert_eq!(
            step(Phase::Before, STOPPED, true),
            (Phase::Periodic, vec![Action::Take, Action::NextOnGrid])
        );
        // While the workload runs, the run ends it; the grid goes on.
        assert_eq!(step(Phase::Periodic, STOPPED, true).1, []);
        let (phase, actions) = step(
            Phase::Tail {
                finish: Some((3.0, end())),
            },
            STOPPED,
            true,
        );
        assert_eq!(phase, Phase::Done);
        assert_eq!(
            actions,
            [
                Action::WriteInterruptInTail,
                Action::Take,
                Action::WriteEnd(EndAt::LastSample, 3.0, end())
            ]
        );
    }

    #[test]
    fn a_finish_during_the_run_takes_the_last_short_interval() {
        let finish = Input::Finish {
            t: 1.7,
            end: end(),
            wait_tail: true,
        };
        assert_eq!(
            step(Phase::Periodic, finish, true),
            (
                Phase::Done,
                vec![
                    Action::TakeUnlessJustTaken,
                    Action::WriteEnd(EndAt::Now, 1.7, end())
                ]
            )
        );
    }

    #[test]
    fn without_a_tail_or_without_waiting_for_it_the_end_is_written_at_once() {
        let ended = Input::WorkloadEnded(event(1.0, EventKind::WorkloadEnd));
        let (phase, _) = step(Phase::Periodic, ended.clone(), false);
        assert_eq!(phase, Phase::Waiting);
        // A timer cannot fire while waiting; were it to, nothing happens.
        assert_eq!(step(Phase::Waiting, DUE, false), (Phase::Waiting, vec![]));
        let finish = |wait_tail| Input::Finish {
            t: 1.1,
            end: end(),
            wait_tail,
        };
        assert_eq!(
            step(Phase::Waiting, finish(true), false),
            (Phase::Done, vec![Action::WriteEnd(EndAt::Now, 1.1, end())])
        );
        let (_, in_tail) = step(Phase::Periodic, ended, true);
        assert!(in_tail.contains(&Action::TailAfterBaseline));
        assert_eq!(
            step(Phase::Tail { finish: None }, finish(false), true),
            (Phase::Done, vec![Action::WriteEnd(EndAt::Now, 1.1, end())])
        );
    }

    #[test]
    fn the_tail_sample_before_the_finish_leaves_the_thread_waiting_for_it() {
        // The end line comes after the tail sample: the thread must wait for it.
        assert_eq!(
            step(Phase::Tail { finish: None }, DUE, true),
            (Phase::Waiting, vec![Action::Take])
        );
        assert_eq!(
            step(Phase::Tail { finish: None }, STOPPED, true),
            (
                Phase::Waiting,
                vec![Action::WriteInterruptInTail, Action::Take]
            )
        );
        let (phase, actions) = step(
            Phase::Waiting,
            Input::Finish {
                t: 4.0,
                end: end(),
                wait_tail: true,
            },
            true,
        );
        assert_eq!(phase, Phase::Done);
        assert_eq!(actions, [Action::WriteEnd(EndAt::Now, 4.0, end())]);
    }

    #[test]
    fn a_workload_that_ends_or_a_run_that_finishes_before_the_first_sample_still_samples() {
        let ended = event(0.1, EventKind::WorkloadEnd);
        assert_eq!(
            step(Phase::Before, Input::WorkloadEnded(ended.clone()), true),
            (
                Phase::Tail { finish: None },
                vec![
                    Action::WriteEvent(ended),
                    Action::TakeUnlessJustTaken,
                    Action::TailAfterBaseline
                ]
            )
        );
        let finish = Input::Finish {
            t: 0.2,
            end: end(),
            wait_tail: true,
        };
        assert_eq!(
            step(Phase::Before, finish, true).1,
            [
                Action::TakeUnlessJustTaken,
                Action::WriteEnd(EndAt::Now, 0.2, end())
            ]
        );
    }

    #[test]
    fn a_gone_run_ends_the_thread() {
        assert_eq!(
            step(Phase::Periodic, Input::Disconnected, true),
            (Phase::Done, vec![])
        );
    }
}
