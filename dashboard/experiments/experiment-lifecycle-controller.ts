import type { Request, Response } from 'express';
import type { LifecycleAction } from '../../experiments/experiment/experiment-service.ts';
import { dashboardContext, render } from '../page-context.ts';

export const ACTIONS: LifecycleAction[] = ['launch', 'pause', 'resume', 'conclude'];
const TARGET: Record<LifecycleAction, string> = { launch: 'running', pause: 'paused', resume: 'running', conclude: 'concluded' };

const CONFIRMATIONS: Record<LifecycleAction, { title: string; button: string; warning: string; points: string[] }> = {
  launch: {
    title: 'Launch this experiment?',
    button: 'Launch experiment',
    warning: 'Once launched, the design and analysis plan are locked and people start being assigned to arms.',
    points: ['Each person’s arm is stored and never changes.', 'Changing the weights later starts a new allocation phase with a new seed.', 'Work coaches see each person’s arm and what to do for it, but not the results.'],
  },
  pause: {
    title: 'Pause this experiment?',
    button: 'Pause experiment',
    warning: 'While paused, nobody new is assigned. People already assigned keep their arm and their outcomes are still recorded.',
    points: ['You can resume it later.'],
  },
  resume: {
    title: 'Resume this experiment?',
    button: 'Resume experiment',
    warning: 'New people will be assigned again, with the same allocation as before the pause.',
    points: [],
  },
  conclude: {
    title: 'Conclude this experiment?',
    button: 'Conclude experiment',
    warning: 'Concluding is final: nobody new is assigned and the experiment cannot be resumed.',
    points: ['The results stay available and the weekly report keeps showing it.', 'Outcomes of people already assigned can still be recorded.'],
  },
};

/** The confirmation page: launching, pausing and concluding always ask first. */
export function get(action: LifecycleAction) {
  return async (req: Request, res: Response) => {
    const { services } = dashboardContext(res);
    const experiment = await services.experiments.get(String(req.params.key));
    render(req, res, 'experiments/confirm.njk', {
      pageTitle: CONFIRMATIONS[action].title,
      confirmation: CONFIRMATIONS[action],
      action,
      experiment,
      backLink: { href: `/experiments/${experiment.key}` },
    });
  };
}

export function post(action: LifecycleAction) {
  return async (req: Request, res: Response) => {
    const { services } = dashboardContext(res);
    const user = req.user!;
    const key = String(req.params.key);
    // A second click or a refresh finds the experiment already there: show it rather than an error.
    if ((await services.experiments.get(key)).status === TARGET[action]) return res.redirect(303, `/experiments/${key}?changed=${action}`);
    const experiment = await services.experiments.transition(key, action);
    await services.audit.record(user.id, action, 'experiment', experiment.key);
    res.redirect(303, `/experiments/${experiment.key}?changed=${action}`);
  };
}
