/**
 * The rows of the environments list: all of them for a short list, only
 * those in view for a long one (fixed row height, its own scroll area), and
 * keyboard navigation either way (arrows, Page Up/Down, Home/End move the
 * focus; Tab leaves the list; one row is in the tab order).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React, { useEffect, useRef, useState } from 'react';

import { IEnvironment } from '../api';
import { nextIndex, scrollToShow, visibleRange } from '../common/listing';

/** Longer lists than this render only the rows in view. */
export const VIRTUALIZE_ABOVE = 40;
/** Height of one row in a virtualised list (style/base.css agrees). */
export const ENV_ROW_HEIGHT = 112;

export interface IRowLayout {
  focused: boolean;
  top: number | null;
  onFocus: () => void;
}

export function EnvironmentRows(props: {
  envs: readonly IEnvironment[];
  trans: TranslationBundle;
  row: (env: IEnvironment, index: number, layout: IRowLayout) => JSX.Element;
}): JSX.Element {
  const { envs, trans } = props;
  const virtual = envs.length > VIRTUALIZE_ABOVE;
  const list = useRef<HTMLUListElement>(null);
  const viewport = useRef<HTMLDivElement>(null);
  const [focus, setFocus] = useState(0);
  const [scroll, setScroll] = useState({ top: 0, height: 480 });
  const [pendingFocus, setPendingFocus] = useState<number | null>(null);
  const current = Math.min(focus, envs.length - 1);

  useEffect(() => {
    if (pendingFocus === null || !list.current) {
      return;
    }
    const node = list.current.querySelector<HTMLElement>(
      `li[data-index="${pendingFocus}"]`
    );
    if (node) {
      node.focus();
      setPendingFocus(null);
    }
  });

  const onKeyDown = (event: React.KeyboardEvent<HTMLUListElement>) => {
    // Keys typed into a row's buttons stay theirs, except the arrows.
    const target = event.target as HTMLElement;
    if (target.tagName !== 'LI' && !event.key.startsWith('Arrow')) {
      return;
    }
    const next = nextIndex(current, event.key, envs.length);
    if (next === null) {
      return;
    }
    event.preventDefault();
    setFocus(next);
    const area = viewport.current;
    if (virtual && area) {
      const top = scrollToShow(
        next,
        ENV_ROW_HEIGHT,
        area.scrollTop,
        area.clientHeight
      );
      area.scrollTop = top;
      setScroll({ top, height: area.clientHeight });
    }
    setPendingFocus(next);
  };

  const layout = (index: number): IRowLayout => ({
    focused: index === current,
    top: virtual ? index * ENV_ROW_HEIGHT : null,
    onFocus: () => setFocus(index)
  });

  if (!virtual) {
    return (
      <ul
        ref={list}
        className="jp-EnvManager-envs"
        aria-label={trans.__('Environments')}
        onKeyDown={onKeyDown}
      >
        {envs.map((env, index) => props.row(env, index, layout(index)))}
      </ul>
    );
  }
  const { start, end } = visibleRange(
    scroll.top,
    scroll.height,
    ENV_ROW_HEIGHT,
    envs.length,
    4
  );
  const rows: JSX.Element[] = [];
  for (let index = start; index < end; index++) {
    rows.push(props.row(envs[index], index, layout(index)));
  }
  // The focused row stays rendered while scrolled away, so Tab finds it.
  if (current < start || current >= end) {
    rows.push(props.row(envs[current], current, layout(current)));
  }
  return (
    <div
      ref={viewport}
      className="jp-EnvManager-envViewport"
      onScroll={event => {
        const node = event.currentTarget;
        setScroll({ top: node.scrollTop, height: node.clientHeight });
      }}
    >
      <ul
        ref={list}
        className="jp-EnvManager-envs jp-mod-virtual"
        aria-label={trans.__('Environments')}
        onKeyDown={onKeyDown}
        style={{ height: envs.length * ENV_ROW_HEIGHT }}
      >
        {rows}
      </ul>
    </div>
  );
}
