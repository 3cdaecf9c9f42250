//! `lvzhi check FILE... [--format human|json]`: the command-line front end.

use std::io::{Read, Write};

use crate::decode::{decode, extract_docx_text};
use crate::diag::{Diagnostic, Severity};
use crate::render::{render_human, render_json};
use crate::{CheckOptions, check_with};

/// The `--help` text.
pub const HELP: &str = "\
lvzhi check — 打印前检查报告中的数字与模板错误

用法:
    lvzhi check FILE... [--format human|json]

参数:
    FILE...            要检查的文件：.txt、.md 或 .docx；文本可为 UTF-8 或 GBK/GB18030（自动识别）；
                       “-” 表示从标准输入读取
选项:
    --format FORMAT    输出格式：human（默认，类似 rustc 的提示）或 json
    -h, --help         显示本帮助

检查项目（代码为 <类别>.<细节>）:
    arithmetic   文中数字自相矛盾：完成率、增长率、降幅、倍数、百分点、比率（整改率、办结率）、占比、
                 分项之和（含“其余/其他”时应等于总数）、各部分占比之和、增减量（由A增加到B，净增C）、
                 结构比例（a∶b∶c 应合计为100）
    enumeration  列举项数与所述数量不符（如“三个专业市场”前只列了两项，“三个一批”后列了四项）
    placeholder  未填写的占位符：**、*、XX、××、___、【】、○○，数字位置上的×、○、△、＿、Ｘ，
                 及缺数字的“%”“亿元”“万人”“个”（包括只留空格的“增长 %”）
    residue      文档平台或模板残留：##paidbegin## 等标记、{{ }} 模板标签、网页代码
    admin-level  同一文中既称“县”又称“区”（全县/我区等）
    repetition   疑似重复字：“的的”“起，起”

退出码:
    0  没有错误级别的问题（可能有警告）
    1  至少一个错误
    2  用法错误或文件无法读取

每条提示给出计算过程（如“268÷1340=20.0%，文中为25%”）和一句说明。
";

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Human,
    Json,
}

/// Runs `check` on the arguments that follow the subcommand (`FILE... [--format
/// human|json]`), writing the report to `stdout` and errors to `stderr`.
/// Returns the exit code: 0 when no error-severity diagnostic, 1 when any, 2 on
/// a usage or I/O error.
pub fn run_cli(args: &[String], stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let mut format = Format::Human;
    let mut files: Vec<&str> = Vec::new();
    let mut i = 0;
    let mut options_done = false;
    while i < args.len() {
        let a = args[i].as_str();
        if options_done || !a.starts_with('-') || a == "-" {
            files.push(a);
            i += 1;
            continue;
        }
        match a {
            "--" => options_done = true,
            "-h" | "--help" => {
                let _ = stdout.write_all(HELP.as_bytes());
                return 0;
            }
            "--format" | "-f" => {
                let Some(v) = args.get(i + 1) else {
                    return usage(stderr, "--format 需要一个值：human 或 json");
                };
                match parse_format(v) {
                    Some(f) => format = f,
                    None => return usage(stderr, &format!("未知的输出格式“{v}”：应为 human 或 json")),
                }
                i += 1;
            }
            _ if a.starts_with("--format=") => match parse_format(&a["--format=".len()..]) {
                Some(f) => format = f,
                None => {
                    return usage(
                        stderr,
                        &format!("未知的输出格式“{}”：应为 human 或 json", &a["--format=".len()..]),
                    );
                }
            },
            _ => return usage(stderr, &format!("未知选项“{a}”")),
        }
        i += 1;
    }
    if files.is_empty() {
        return usage(stderr, "缺少要检查的文件");
    }
    let mut io_error = false;
    let mut any_error = false;
    let mut results: Vec<(String, Vec<Diagnostic>)> = Vec::new();
    for path in files {
        let text = match read_input(path) {
            Ok(t) => t,
            Err(e) => {
                let _ = writeln!(stderr, "错误：{path}：{e}");
                io_error = true;
                continue;
            }
        };
        let markdown = path.to_ascii_lowercase().ends_with(".md") || path.to_ascii_lowercase().ends_with(".markdown");
        let diags = check_with(&text, &CheckOptions { markdown });
        any_error |= diags.iter().any(|d| d.severity == Severity::Error);
        if format == Format::Human {
            let _ = stdout.write_all(render_human(path, &text, &diags).as_bytes());
        }
        results.push((path.to_string(), diags));
    }
    if format == Format::Json {
        let _ = writeln!(stdout, "{}", render_json(&results));
    }
    if io_error {
        2
    } else if any_error {
        1
    } else {
        0
    }
}

fn parse_format(v: &str) -> Option<Format> {
    match v {
        "human" => Some(Format::Human),
        "json" => Some(Format::Json),
        _ => None,
    }
}

fn usage(stderr: &mut dyn Write, msg: &str) -> i32 {
    let _ = writeln!(
        stderr,
        "错误：{msg}\n用法：lvzhi check FILE... [--format human|json]（--help 查看说明）"
    );
    2
}

/// Reads a file (or stdin for `-`) as text: `.docx` by extension or zip signature, else decoded.
fn read_input(path: &str) -> Result<String, String> {
    let mut bytes = Vec::new();
    if path == "-" {
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    } else {
        bytes = std::fs::read(path).map_err(|e| format!("无法读取文件（{e}）"))?;
    }
    if path.to_ascii_lowercase().ends_with(".docx") || bytes.starts_with(b"PK\x03\x04") {
        return extract_docx_text(&bytes).map_err(|e| e.to_string());
    }
    decode(&bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> (i32, String, String) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (mut o, mut e) = (Vec::new(), Vec::new());
        let code = run_cli(&args, &mut o, &mut e);
        (code, String::from_utf8(o).unwrap(), String::from_utf8(e).unwrap())
    }

    fn tmp(name: &str, bytes: &[u8]) -> String {
        let dir = std::env::temp_dir().join(format!("lvzhi-check-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_string_lossy().into_owned()
    }

    #[test]
    fn explains_each_new_diagnostic_with_its_arithmetic() {
        let text = "全年排查安全隐患1340条，已整改268条，整改率25%。\n\
                    全县学校86所，其中小学52所、初中20所、其余10所。\n\
                    全县户籍人口52.3万人，其中城镇人口占41.2%、农村人口占61.8%。\n\
                    全县农村居民人均可支配收入由1.52万元增加到1.68万元，净增1800元。\n\
                    全县三次产业结构调整为12.5∶38.6∶50.2。\n\
                    全面推行“三个一批”，即新建一批、改造一批、提升一批、关停一批。\n\
                    建成村级综合服务站○个，全县外贸进出口亿元、增长11.7%，农村居民人均可支配收入增长 %。\n";
        let p = tmp("explain.txt", text.as_bytes());
        let (c, out, _) = run(&[&p]);
        assert_eq!(c, 1);
        for want in [
            "error[arithmetic.rate]: 整改率计算有误：268÷1340=20.0%，文中为25%",
            "error[arithmetic.sum]: 分项之和小于总数：52+20+10=82所，而总数为86所",
            "error[arithmetic.share-sum]: 各部分占比之和超过100%：41.2%+61.8%=103.0%",
            "error[arithmetic.difference]: 增减量计算有误：1.68万元−1.52万元=1600元，文中为1800元",
            "error[arithmetic.structure]: 结构比例各项之和应为100：12.5+38.6+50.2=101.3",
            "error[enumeration.count]: 列举项数与所述数量不符：后面列举了4项",
            "error[placeholder.mask]: 未填写的占位符“○”",
            "error[placeholder.missing-number]: 缺少数字：“亿元”前没有填写金额",
            "error[placeholder.missing-number]: 缺少数字：“%”前只有空格“ ”，应填写数值",
            " = 应为：20.0%",
            " = 文中：25%",
            " = 说明：“共X件，已办结Y件，办结率Z%”中，Z应等于Y÷X",
            " = 说明：写成a∶b∶c并保留一位小数的结构比例",
        ] {
            assert!(out.contains(want), "missing {want}:\n{out}");
        }
        // every diagnostic carries its explanation
        let shown = out.matches("error[").count() + out.matches("warning[").count();
        assert_eq!(shown, 9, "{out}");
        assert_eq!(out.matches(" = 说明：").count(), shown, "{out}");
    }

    #[test]
    fn exit_codes() {
        assert_eq!(run(&[]).0, 2);
        assert_eq!(run(&["--format", "xml", "a.txt"]).0, 2);
        assert_eq!(run(&["--bogus"]).0, 2);
        assert_eq!(run(&["/nonexistent/lvzhi.txt"]).0, 2);
        let (c, out, _) = run(&["--help"]);
        assert_eq!(c, 0);
        assert!(out.contains("lvzhi check FILE..."));
        let clean = tmp("clean.txt", "全县完成21.6亿元，增长22%。".as_bytes());
        assert_eq!(run(&[&clean]).0, 0);
        let bad = tmp("bad.txt", "全县完成**亿元。".as_bytes());
        let (c, out, _) = run(&[&bad]);
        assert_eq!(c, 1);
        assert!(out.contains("error[placeholder.mask]"));
        let warn = tmp("warn.txt", "加强的的学习。".as_bytes());
        assert_eq!(run(&[&warn]).0, 0);
        // an unreadable file among good ones still gives 2
        assert_eq!(run(&[&bad, "/nonexistent/x.txt"]).0, 2);
    }

    #[test]
    fn json_and_gbk() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("全县财政总收入完成21.6亿元、完成预算18.92亿元的112%。");
        let p = tmp("gbk.txt", &bytes);
        let (c, out, _) = run(&[&p, "--format=json"]);
        assert_eq!(c, 1);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["files"][0]["diagnostics"][0]["code"], "arithmetic.completion");
        assert_eq!(v["files"][0]["diagnostics"][0]["stated"], "112%");
    }
}
