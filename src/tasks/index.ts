// The tasks the CLI knows, and how a command finds one: by name, by a positional argument a task
// claims (a .csv path, an image folder), or by the `task` saved in a checkpoint.
// Adding a task: import it and add it to TASKS (one line); docs/tasks.md has the rest.

import type { Json, Task } from './task.js';
import { fashionMnist } from './fashion-mnist/index.js';
import { tabular, breastCancerTask, diabetesTask } from './tabular/index.js';
import { images } from './images/index.js';
import { movielensTask } from './movielens/index.js';
import { euStocksTask } from './eu-stocks/index.js';
import { kjvTask } from './kjv/index.js';
import { freedictTask } from './freedict/index.js';
import { spokenDigitsTask } from './spoken-digits/index.js';

export type { Task } from './task.js';

/** A task with its meta type erased, for the list (each task is checked against Task<its meta> where defined). */
export type AnyTask = Task<Json>;

export const TASKS: readonly AnyTask[] = [
  fashionMnist as unknown as AnyTask,
  tabular as unknown as AnyTask,
  breastCancerTask as unknown as AnyTask,
  diabetesTask as unknown as AnyTask,
  images as unknown as AnyTask,
  movielensTask as unknown as AnyTask,
  euStocksTask as unknown as AnyTask,
  kjvTask as unknown as AnyTask,
  freedictTask as unknown as AnyTask,
  spokenDigitsTask as unknown as AnyTask,
];

/** The task `nabla train` runs when none is named. */
export const DEFAULT_TASK = 'fashion-mnist';

export function taskNamed(name: string): AnyTask | undefined {
  return TASKS.find((t) => t.name === name);
}

/** The task a positional argument names or that claims it. */
export function taskFor(arg: string): AnyTask | undefined {
  return taskNamed(arg) ?? TASKS.find((t) => t.claims?.(arg));
}
