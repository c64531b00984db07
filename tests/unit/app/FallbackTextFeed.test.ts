/**
 * FallbackTextFeed (src/app/FallbackTextFeed.ts) on its own: while the read-only text is shown,
 * it follows the doc once per burst of updates; not while hidden; nothing after dispose.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { FallbackTextFeed } from '../../../src/app/FallbackTextFeed';
import { INDEX_REFRESH_MS } from '../../../src/app/IndexRefresher';
import { NOTE_BINDING, NOTE_ROOT_NAMES } from '../../../src/doc/noteRoot';
import { applySeed } from '../../../src/doc/seed';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(showing: { now: boolean }) {
  const doc = new Y.Doc();
  applySeed(doc);
  const run = new Y.XmlText();
  (doc.get(NOTE_ROOT_NAMES[NOTE_BINDING], Y.XmlElement).get(0) as Y.XmlElement).insert(0, [run]);
  const published: string[] = [];
  const feed = new FallbackTextFeed({ doc, showing: () => showing.now, publish: (text) => published.push(text) });
  return { run, feed, published };
}

describe('FallbackTextFeed', () => {
  it('follows the doc once per burst while the text is shown', () => {
    const showing = { now: true };
    const { run, feed, published } = setup(showing);
    feed.start();
    run.insert(0, 'Bob ');
    run.insert(4, 'types');
    expect(published).toEqual([]);
    vi.advanceTimersByTime(INDEX_REFRESH_MS);
    expect(published).toEqual(['Bob types']);
    feed.dispose();
  });

  it('does nothing while the editor draws the note, nor once it does again', () => {
    const showing = { now: false };
    const { run, feed, published } = setup(showing);
    feed.start();
    run.insert(0, 'drawn');
    vi.advanceTimersByTime(INDEX_REFRESH_MS);
    showing.now = true;
    run.insert(0, 'shown ');
    showing.now = false; // redrawn before the timer fired
    vi.advanceTimersByTime(INDEX_REFRESH_MS);
    expect(published).toEqual([]);
    feed.dispose();
  });

  it('dispose clears the timer and the listener', () => {
    const { run, feed, published } = setup({ now: true });
    feed.start();
    run.insert(0, 'x');
    feed.dispose();
    expect(vi.getTimerCount()).toBe(0);
    run.insert(0, 'y');
    vi.advanceTimersByTime(INDEX_REFRESH_MS);
    expect(published).toEqual([]);
  });
});
