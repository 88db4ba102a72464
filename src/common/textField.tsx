/**
 * The one labelled text field of the extension's forms: label, input and the
 * error under it, wired for screen readers (the input is described by its
 * error and marked invalid while it has one).
 */
import React from 'react';

import { FieldError } from './fieldError';

export interface ITextFieldProps {
  id: string;
  label: React.ReactNode;
  value: string;
  onChange: (value: string) => void;
  /** What is wrong with the value; nothing shown when absent. */
  error?: string | null;
  /** Whole numbers: phones and tablets show a number pad. */
  numeric?: boolean;
  placeholder?: string;
  /** Classes added to the input's. */
  inputClassName?: string;
  /** Extra attributes of the input (title, list, data-*, autoFocus, onBlur…). */
  inputProps?: React.InputHTMLAttributes<HTMLInputElement> &
    Record<`data-${string}`, string>;
  /** Shown under the error (a datalist, the values a field parses to…). */
  children?: React.ReactNode;
}

export function TextField(props: ITextFieldProps): JSX.Element {
  const errorId = `${props.id}-error`;
  return (
    <div className="jp-EnvManager-field">
      <label className="jp-EnvManager-label" htmlFor={props.id}>
        {props.label}
      </label>
      <input
        {...props.inputProps}
        id={props.id}
        className={
          props.inputClassName
            ? `jp-mod-styled ${props.inputClassName}`
            : 'jp-mod-styled'
        }
        inputMode={props.numeric ? 'numeric' : undefined}
        value={props.value}
        placeholder={props.placeholder}
        aria-invalid={!!props.error}
        aria-describedby={errorId}
        onChange={event => props.onChange(event.target.value)}
      />
      <FieldError id={errorId} message={props.error} />
      {props.children}
    </div>
  );
}
