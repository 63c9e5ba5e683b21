import type { Request, Response } from 'express';
import { dashboardContext, render } from '../page-context.ts';
import { createExperimentSummaryReadModel } from './experiment-summary-read-model.ts';

const readModels = new WeakMap<object, ReturnType<typeof createExperimentSummaryReadModel>>();

/** Analysts' start page: every experiment with its state and warnings at a glance. */
export async function get(req: Request, res: Response): Promise<void> {
  const { services } = dashboardContext(res);
  let readModel = readModels.get(services.db);
  if (!readModel) readModels.set(services.db, (readModel = createExperimentSummaryReadModel(services.db)));
  const now = services.clock.now();
  const experiments = [];
  for (const experiment of await services.experiments.list()) experiments.push({ experiment, summary: await readModel.summarise(experiment, now) });
  const order = { running: 0, paused: 1, draft: 2, concluded: 3 } as Record<string, number>;
  experiments.sort((a, b) => order[a.experiment.status] - order[b.experiment.status]);
  render(req, res, 'experiments/list.njk', { pageTitle: 'Experiments', experiments });
}
