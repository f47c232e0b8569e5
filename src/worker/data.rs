//! Real datasets in the worker: fetched from the site (Fashion-MNIST is shipped; CIFAR-10 where the
//! deployer put it) or read from the user's files, verified, and kept for training. A failed load
//! leaves what was loaded before untouched.

use std::rc::Rc;

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, Response};

use super::{post, scope, STATE};
use crate::lab::data::{Corpus, DataKind};
use crate::protocol::FromWorker;

/// Where the site keeps each real set (under trunk's copy of `public/`).
fn site_files(kind: DataKind) -> &'static [&'static str] {
    match kind {
        DataKind::FashionMnist => &[
            "public/data/fashion-mnist/train-images-idx3-ubyte.gz",
            "public/data/fashion-mnist/train-labels-idx1-ubyte.gz",
            "public/data/fashion-mnist/t10k-images-idx3-ubyte.gz",
            "public/data/fashion-mnist/t10k-labels-idx1-ubyte.gz",
        ],
        DataKind::Cifar10 => &["public/data/cifar-10/cifar-10-binary.tar.gz"],
        _ => &[],
    }
}

fn progress(id: u32, stage: String, fraction: f64) {
    post(&FromWorker::DataProgress { id, stage, fraction });
}

fn mb(bytes: f64) -> String {
    format!("{:.1} MB", bytes / 1_048_576.0)
}

/// What a download stopped by Cancel returns (the run then ends as cancelled, not failed).
const DOWNLOAD_CANCELLED: &str = "the download was cancelled";

/// The loaded corpus for `kind`, loading it from the site the first time.
/// Progress messages carry `id`, the request that needed the set.
pub async fn ensure(id: u32, kind: DataKind) -> Result<Rc<Corpus>, String> {
    if let Some(c) = STATE.with(|s| s.borrow().corpora.get(&kind).cloned()) {
        return Ok(c);
    }
    let files = fetch_all(id, kind).await?;
    progress(id, format!("Unpacking and checking {}", kind.title()), 1.0);
    let corpus = Corpus::from_files(files).map_err(|e| e.to_string())?;
    if kind == DataKind::FashionMnist {
        // The shipped files are the published ones; anything else means a broken deployment.
        corpus.expect_counts(60_000, 10_000).map_err(|e| e.to_string())?;
    }
    if corpus.kind != kind {
        return Err(format!("the site's {} files hold {}", kind.title(), corpus.kind.title()));
    }
    Ok(keep(corpus))
}

fn keep(corpus: Corpus) -> Rc<Corpus> {
    let corpus = Rc::new(corpus);
    STATE.with(|s| s.borrow_mut().corpora.insert(corpus.kind, corpus.clone()));
    corpus
}

async fn fetch_all(id: u32, kind: DataKind) -> Result<Vec<(String, Vec<u8>)>, String> {
    let urls = site_files(kind);
    // Start every request first, so the total size is known for the progress bar.
    let mut responses = Vec::new();
    for url in urls {
        let resp: Response =
            JsFuture::from(scope().fetch_with_str(url)).await.map_err(|e| format!("could not fetch {url}: {e:?}"))?.unchecked_into();
        if !resp.ok() {
            return Err(match kind {
                DataKind::Cifar10 => "CIFAR-10 is not deployed on this site (public/data/cifar-10/cifar-10-binary.tar.gz). \
                    Choose the files from your computer instead: cifar-10-binary.tar.gz, or data_batch_1.bin … test_batch.bin"
                    .to_string(),
                _ => {
                    format!("{url}: the server answered {} {} (run `make data` when building the site)", resp.status(), resp.status_text())
                }
            });
        }
        responses.push((url, resp));
    }
    let length = |r: &Response| r.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<f64>().ok());
    let total: Option<f64> = responses.iter().map(|(_, r)| length(r)).sum();
    let mut done = 0f64;
    let mut files = Vec::new();
    for (url, resp) in responses {
        let body = resp.body().ok_or_else(|| format!("{url}: empty response"))?;
        let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        let mut bytes = Vec::with_capacity(length(&resp).unwrap_or(0.0) as usize);
        let mut reported = 0f64;
        loop {
            // Cancel stops a download between chunks (the page asked within a second, not at the end).
            if super::is_cancelled(id) {
                let _ = reader.cancel();
                return Err(DOWNLOAD_CANCELLED.into());
            }
            let chunk = JsFuture::from(reader.read()).await.map_err(|e| format!("{url}: download failed: {e:?}"))?;
            if Reflect::get(&chunk, &"done".into()).ok().and_then(|v| v.as_bool()).unwrap_or(true) {
                break;
            }
            let value: Uint8Array = Reflect::get(&chunk, &"value".into()).map_err(|_| "bad stream chunk")?.unchecked_into();
            bytes.extend(value.to_vec());
            done += value.length() as f64;
            if done - reported > 1_048_576.0 {
                reported = done;
                let stage = match total {
                    Some(t) => format!("Downloading {} ({} of {})", kind.title(), mb(done), mb(t)),
                    None => format!("Downloading {} ({})", kind.title(), mb(done)),
                };
                progress(id, stage, total.map_or(0.0, |t| done / t.max(1.0)));
            }
        }
        let name = url.rsplit('/').next().unwrap_or(url).to_string();
        files.push((name, bytes));
    }
    Ok(files)
}

/// `{cmd: "load_files", id, files: [File, …]}` from the page: read, recognise, verify, keep.
pub async fn load_files(id: u32, files: Array) {
    match read_and_parse(id, files).await {
        Ok(corpus) => {
            let corpus = keep(corpus);
            post(&FromWorker::Data { id, preview: crate::protocol::DataPreview::of_corpus(&corpus, super::GALLERY) });
        }
        Err(error) => post(&FromWorker::DataFailed { id, error }),
    }
}

async fn read_and_parse(id: u32, files: Array) -> Result<Corpus, String> {
    let files: Vec<File> = files.iter().map(|f| f.unchecked_into()).collect();
    let total: f64 = files.iter().map(|f| f.size()).sum();
    let mut done = 0.0;
    let mut read = Vec::new();
    for f in &files {
        progress(id, format!("Reading {} ({} of {})", f.name(), mb(done), mb(total)), done / total.max(1.0));
        let buf = JsFuture::from(f.array_buffer()).await.map_err(|e| format!("could not read {}: {e:?}", f.name()))?;
        read.push((f.name(), Uint8Array::new(&buf).to_vec()));
        done += f.size();
    }
    progress(id, "Unpacking and checking the files".into(), 1.0);
    Corpus::from_files(read).map_err(|e| e.to_string())
}

/// The request id and files when `data` is the page's file message.
pub fn as_file_message(data: &JsValue) -> Option<(u32, Array)> {
    if !data.is_object() {
        return None;
    }
    let cmd = Reflect::get(data, &"cmd".into()).ok()?.as_string()?;
    if cmd != "load_files" {
        return None;
    }
    let id = Reflect::get(data, &"id".into()).ok()?.as_f64()? as u32;
    Some((id, Array::from(&Reflect::get(data, &"files".into()).ok()?)))
}
