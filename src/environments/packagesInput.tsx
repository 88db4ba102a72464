/**
 * A list of package specs typed one at a time (or several, space-separated),
 * with the server's package names suggested while typing, shown as chips
 * that each come off with a click.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React, { useEffect, useState } from 'react';

import { splitSpecs } from './names';

/** A list of package specs typed one at a time, with suggestions. */
export function PackagesInput(props: {
  id: string;
  label: string;
  kind: 'conda' | 'venv';
  specs: string[];
  onChange: (specs: string[]) => void;
  inputRef?: React.MutableRefObject<HTMLInputElement | null>;
  /** Names of packages matching `query`; may reject (offline index). */
  search: (query: string, kind: 'conda' | 'venv') => Promise<string[]>;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans, specs } = props;
  const [text, setText] = useState('');
  const [suggestions, setSuggestions] = useState<string[]>([]);

  useEffect(() => {
    const query = text.trim();
    if (query.length < 2) {
      setSuggestions([]);
      return;
    }
    let live = true;
    // Wait for a pause in typing before asking the server.
    const timer = setTimeout(() => {
      props.search(query, props.kind).then(
        names => live && setSuggestions(names.slice(0, 20)),
        () => live && setSuggestions([])
      );
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [text, props.kind]);

  const add = () => {
    const added = splitSpecs(text).filter(spec => !specs.includes(spec));
    if (added.length) {
      props.onChange([...specs, ...added]);
    }
    setText('');
  };
  const listId = `${props.id}-suggestions`;
  return (
    <div className="jp-EnvManager-field">
      <label htmlFor={props.id}>{props.label}</label>
      <div className="jp-EnvManager-packageEntry">
        <input
          id={props.id}
          ref={node => {
            if (props.inputRef) {
              props.inputRef.current = node;
            }
          }}
          className="jp-mod-styled jp-EnvManager-packageInput"
          list={listId}
          value={text}
          placeholder={trans.__('e.g. numpy pandas>=2')}
          onChange={event => setText(event.target.value)}
          data-pending={text.trim() ? 'true' : 'false'}
          onBlur={add}
        />
        <button
          className="jp-mod-styled jp-EnvManager-addPackage"
          onClick={add}
          aria-label={trans.__('Add to %1', props.label)}
        >
          {trans.__('Add')}
        </button>
        <datalist id={listId}>
          {suggestions.map(name => (
            <option key={name} value={name} />
          ))}
        </datalist>
      </div>
      {specs.length > 0 && (
        <ul className="jp-EnvManager-chips" aria-label={props.label}>
          {specs.map(spec => (
            <li key={spec} className="jp-EnvManager-chip">
              <span>{spec}</span>
              <button
                onClick={() => props.onChange(specs.filter(s => s !== spec))}
                aria-label={trans.__('Remove %1', spec)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
