// The harness page: the stub first (it defines acquireVsCodeApi), then the real webview.
import './stub.js';
import '../../webview/main.ts';
