//! Checkpoints kept in the browser's IndexedDB, so a long run survives a closed tab: one database,
//! two stores keyed alike — `meta` (the small JSON the list shows) and `blobs` (the checkpoint).

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransactionMode};

const DB: &str = "resnet-lab-checkpoints";
const VERSION: u32 = 1;
const STORES: [&str; 2] = ["meta", "blobs"];

fn js_err(e: JsValue) -> String {
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// A promise that settles when `req` succeeds (with its result) or fails.
fn settled(req: &IdbRequest) -> JsFuture {
    let req = req.clone();
    JsFuture::from(js_sys::Promise::new(&mut |resolve, reject| {
        let done = req.clone();
        let ok = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call1(&JsValue::NULL, &done.result().unwrap_or(JsValue::UNDEFINED));
        });
        let err = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("the browser's storage refused the request (full, or private mode?)"));
        });
        req.set_onsuccess(Some(ok.unchecked_ref()));
        req.set_onerror(Some(err.unchecked_ref()));
    }))
}

async fn open() -> Result<IdbDatabase, String> {
    let factory = web_sys::window()
        .and_then(|w| w.indexed_db().ok().flatten())
        .ok_or("this browser offers no IndexedDB here (private mode?): download checkpoints instead")?;
    let req: IdbOpenDbRequest = factory.open_with_u32(DB, VERSION).map_err(js_err)?;
    let first = req.clone();
    // A new database (version 0 → 1) gets its two stores.
    let upgrade = Closure::once_into_js(move |_: web_sys::Event| {
        if let Some(db) = first.result().ok().and_then(|d| d.dyn_into::<IdbDatabase>().ok()) {
            for store in STORES {
                let _ = db.create_object_store(store);
            }
        }
    });
    req.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    let db = settled(&req).await.map_err(js_err)?;
    db.dyn_into::<IdbDatabase>().map_err(|_| "IndexedDB did not open".to_string())
}

fn stores(db: &IdbDatabase, mode: IdbTransactionMode) -> Result<(web_sys::IdbObjectStore, web_sys::IdbObjectStore), String> {
    let names = js_sys::Array::of2(&STORES[0].into(), &STORES[1].into());
    let tx = db.transaction_with_str_sequence_and_mode(&names, mode).map_err(js_err)?;
    Ok((tx.object_store(STORES[0]).map_err(js_err)?, tx.object_store(STORES[1]).map_err(js_err)?))
}

/// Keeps `blob` under `key`, with `meta` for the list.
pub async fn put(key: &str, meta: &str, blob: &str) -> Result<(), String> {
    let db = open().await?;
    let (m, b) = stores(&db, IdbTransactionMode::Readwrite)?;
    let key = JsValue::from_str(key);
    // Both requests before the first await: the transaction commits once nothing is pending.
    let blob = settled(&b.put_with_key(&JsValue::from_str(blob), &key).map_err(js_err)?);
    let meta = settled(&m.put_with_key(&JsValue::from_str(meta), &key).map_err(js_err)?);
    blob.await.map_err(js_err)?;
    meta.await.map_err(js_err)?;
    Ok(())
}

/// Every kept entry: (key, meta).
pub async fn list() -> Result<Vec<(String, String)>, String> {
    let db = open().await?;
    let (m, _) = stores(&db, IdbTransactionMode::Readonly)?;
    let (keys, values) = (settled(&m.get_all_keys().map_err(js_err)?), settled(&m.get_all().map_err(js_err)?));
    let (keys, values) = (keys.await.map_err(js_err)?, values.await.map_err(js_err)?);
    let (keys, values) = (js_sys::Array::from(&keys), js_sys::Array::from(&values));
    Ok(keys.iter().zip(values.iter()).filter_map(|(k, v)| Some((k.as_string()?, v.as_string()?))).collect())
}

pub async fn get(key: &str) -> Result<Option<String>, String> {
    let db = open().await?;
    let (_, b) = stores(&db, IdbTransactionMode::Readonly)?;
    Ok(settled(&b.get(&JsValue::from_str(key)).map_err(js_err)?).await.map_err(js_err)?.as_string())
}

pub async fn delete(key: &str) -> Result<(), String> {
    let db = open().await?;
    let (m, b) = stores(&db, IdbTransactionMode::Readwrite)?;
    let key = JsValue::from_str(key);
    let (meta, blob) = (settled(&m.delete(&key).map_err(js_err)?), settled(&b.delete(&key).map_err(js_err)?));
    meta.await.map_err(js_err)?;
    blob.await.map_err(js_err)?;
    Ok(())
}
