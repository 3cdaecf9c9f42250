//! Accounts at county scale: the bulk account sheet (单位, 角色, 姓名, 手机号)
//! read once for the 用户与角色 page and `POST /api/v1/users/import`.

/// The columns of a bulk account sheet, by header text: (单位, 角色, 姓名, 手机号).
fn bulk_columns(header: &[lvzhi_io::sheet::Cell]) -> Result<[usize; 4], String> {
    let find = |names: &[&str]| {
        header.iter().position(|c| {
            let t: String = c.text().chars().filter(|c| !c.is_whitespace()).collect();
            names.contains(&t.as_str())
        })
    };
    let wanted: [(&str, &[&str]); 4] = [
        ("单位", &["单位", "所属单位", "单位名称"]),
        ("角色", &["角色"]),
        ("姓名", &["姓名", "名字"]),
        ("手机号", &["手机号", "手机", "手机号码", "联系电话", "电话"]),
    ];
    let mut out = [0; 4];
    let mut missing = vec![];
    for (i, (label, names)) in wanted.iter().enumerate() {
        match find(names) {
            Some(c) => out[i] = c,
            None => missing.push(*label),
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(format!(
            "第1行（表头）缺少列：{}。表头应为：单位、角色、姓名、手机号",
            missing.join("、")
        ))
    }
}

/// The rows of a bulk account sheet (xlsx, xls or csv named `name`): the
/// header names the columns 单位, 角色, 姓名, 手机号 (in any order, with
/// their usual aliases); empty rows are skipped. `Err`: why the file cannot
/// be read, in Chinese. Shared by the page and `POST /api/v1/users/import`.
pub fn bulk_sheet(bytes: &[u8], name: &str) -> Result<Vec<lvzhi_store::manage::BulkUser>, String> {
    let sheet = lvzhi_io::sheet::read_bytes(bytes, name, None, lvzhi_io::sheet::Encoding::default())
        .map_err(|e| format!("文件“{name}”无法读取：{e}"))?;
    let cols = match sheet.rows.first().map(|h| bulk_columns(h)) {
        Some(c) => c?,
        None => return Err(format!("文件“{name}”是空的")),
    };
    Ok(sheet
        .rows
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, r)| r.iter().any(|c| !c.is_empty()))
        .map(|(i, _)| {
            let t = |c: usize| sheet.cell(i, c).text().trim().to_string();
            lvzhi_store::manage::BulkUser {
                row: i + 1,
                unit: t(cols[0]),
                role: t(cols[1]),
                name: t(cols[2]),
                phone: t(cols[3]),
            }
        })
        .collect())
}
