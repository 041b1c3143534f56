/** The status bar item: loaded model, backend and engine state; clicking it opens the panel. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Disposable } from '../disposable';
import { ablationStatusText, ablationSummary } from './interventions';
import type { ModelSession, SessionStatus } from './session';

const ICONS: Readonly<Record<SessionStatus['state'], string>> = {
  idle: '$(circuit-board)',
  loading: '$(loading~spin)',
  ready: '$(circuit-board)',
  running: '$(loading~spin)',
  error: '$(error)',
};

export class StatusBar extends Disposable {
  private readonly item = this.register(vscode.window.createStatusBarItem('circuitInspector.status', vscode.StatusBarAlignment.Right, 100));

  constructor(private readonly session: ModelSession) {
    super();
    this.item.name = 'Circuit Inspector';
    this.item.command = 'circuitInspector.showPanel';
    this.register(session.onDidChangeStatus(() => this.update()));
    this.register(session.onDidLoadModel(() => this.update()));
    this.register(session.onDidChangeAblations(() => this.update()));
    this.update();
  }

  private update(): void {
    const { state, message } = this.session.status;
    const model = this.session.model;
    const name = model ? path.basename(path.dirname(model.path)) + '/' + path.basename(model.path) : 'no model';
    const backend = model?.card.backend;
    const ablations = this.session.ablations;
    const ablated = ablationStatusText(ablations);
    this.item.text = `${ICONS[state]} ${model ? path.basename(model.path) : 'Circuit Inspector'}${backend ? ` · ${backend}` : ''} · ${state}${ablated ? ` ${ablated}` : ''}`;
    this.item.tooltip = new vscode.MarkdownString(
      [`**Circuit Inspector** — ${name}`, backend ? `backend: ${backend}` : '', `state: ${state}`, ablations.length ? ablationSummary(ablations) : '', message ? `\n${message}` : '', '\nClick to open the inspector.']
        .filter(Boolean)
        .join('  \n'),
    );
    this.item.accessibilityInformation = {
      label: `Circuit Inspector: ${model ? name : 'no model'}${backend ? `, ${backend} backend` : ''}, ${state}${ablations.length ? `, ${ablationSummary(ablations)}` : ''}. Open the inspector.`,
      role: 'button',
    };
    this.item.backgroundColor = state === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.show();
  }
}
