/**
 * Running and recently finished tasks: stage, progress bar, log, cancel.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { ITask } from '../api';
import { statusLabel, taskTitle } from './labels';
import { isFinished } from './model';

export interface ITaskListProps {
  tasks: readonly ITask[];
  trans: TranslationBundle;
  onCancel: (task: ITask) => void;
  onDismiss: (task: ITask) => void;
}

function TaskItem(props: {
  task: ITask;
  trans: TranslationBundle;
  onCancel: (task: ITask) => void;
  onDismiss: (task: ITask) => void;
}): JSX.Element {
  const { task, trans } = props;
  const done = isFinished(task.status);
  const title = taskTitle(task, trans);
  const percent =
    task.fraction === null || task.fraction === undefined
      ? undefined
      : Math.round(task.fraction * 100);
  return (
    <li
      className="jp-EnvManager-task"
      data-task-id={task.id}
      data-status={task.status}
      aria-label={title}
    >
      <div className="jp-EnvManager-taskHeader">
        <span className="jp-EnvManager-taskTitle">{title}</span>
        {done ? (
          <button
            className="jp-EnvManager-linkButton"
            onClick={() => props.onDismiss(task)}
            aria-label={trans.__('Dismiss: %1', title)}
          >
            {trans.__('Dismiss')}
          </button>
        ) : (
          <button
            className="jp-EnvManager-linkButton jp-EnvManager-cancel"
            onClick={() => props.onCancel(task)}
            aria-label={trans.__('Cancel: %1', title)}
          >
            {trans.__('Cancel')}
          </button>
        )}
      </div>
      <div className="jp-EnvManager-taskStage" aria-live="polite">
        {statusLabel(task, trans)}
        {task.message && !done ? ` — ${task.message}` : ''}
      </div>
      {!done && (
        <progress
          className="jp-EnvManager-progress"
          max={100}
          value={percent}
          aria-label={trans.__('Progress of: %1', title)}
        />
      )}
      {task.status === 'failed' && task.error && (
        <p className="jp-EnvManager-error" role="alert">
          {task.error.message}
        </p>
      )}
      {task.log.length > 0 && (
        <details className="jp-EnvManager-log">
          <summary>{trans.__('Log (%1 lines)', task.log.length)}</summary>
          <pre>{task.log.slice(-50).join('\n')}</pre>
        </details>
      )}
    </li>
  );
}

export function TaskList(props: ITaskListProps): JSX.Element | null {
  if (props.tasks.length === 0) {
    return null;
  }
  return (
    <ul
      className="jp-EnvManager-tasks"
      aria-label={props.trans.__('Operations')}
    >
      {props.tasks.map(task => (
        <TaskItem
          key={task.id}
          task={task}
          trans={props.trans}
          onCancel={props.onCancel}
          onDismiss={props.onDismiss}
        />
      ))}
    </ul>
  );
}
